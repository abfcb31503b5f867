using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Core.Tests.Inference;

[Collection(TrainedModelCollection.Name)]
public class ClassifierTests(TrainedModelFixture model, FashionMnistFixture data)
{
    private byte[][] TestImages(int count) =>
        Enumerable.Range(0, count).Select(i => data.Dataset.Test.Image(i).ToArray()).ToArray();

    [Fact]
    public void Classifies_canonical_test_images_mostly_right_with_probabilities_that_sum_to_one()
    {
        var classifier = new Classifier(model.Artifact);
        var predictions = classifier.Predict(TestImages(500));

        double accuracy = predictions.Select((p, i) => p.Label == data.Dataset.Test.Labels[i] ? 1.0 : 0.0).Average();
        Assert.InRange(accuracy, 0.75, 1.0);
        Assert.All(predictions, p =>
        {
            Assert.Equal(1.0, p.Probabilities.Sum(), 3);
            Assert.Equal(p.Probabilities.Max(), p.Confidence);
            Assert.Equal(FashionMnistClasses.NameOf(p.Label), p.ClassName);
            Assert.Equal("fmnist-fixture-model", p.ModelId);
        });
    }

    [Fact]
    public void Batch_predictions_match_single_ones_in_input_order()
    {
        var classifier = new Classifier(model.Artifact);
        var images = TestImages(200); // whole tiles of six, a partial one, and more than one core's share
        var batch = classifier.Predict(images);
        for (int i = 0; i < images.Length; i++)
        {
            var single = classifier.Predict(images[i]);
            Assert.Equal(single.Label, batch[i].Label);
            for (int c = 0; c < 10; c++)
            {
                Assert.True(Math.Abs(single.Probabilities[c] - batch[i].Probabilities[c]) < 1e-5, $"image {i}, class {c}: {single.Probabilities[c]} vs {batch[i].Probabilities[c]}");
            }
        }
    }

    [Fact]
    public async Task Concurrent_batches_of_mixed_sizes_give_the_sequential_results()
    {
        var classifier = new Classifier(model.Artifact);
        // Sizes that take every path: one image, a partial tile, whole tiles, and batches split over cores.
        int[] sizes = [1, 3, 6, 7, 50, 97, 300];
        var batches = sizes.Select((size, b) => Enumerable.Range(0, size).Select(i => data.Dataset.Test.Image((b * 311 + i * 7) % 2000).ToArray()).ToArray()).ToArray();
        var sequential = batches.Select(batch => classifier.Predict(batch)).ToArray();

        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 6; round++)
            {
                int b = (t + round * 3) % batches.Length;
                var concurrent = classifier.Predict(batches[b]);
                for (int i = 0; i < concurrent.Count; i++)
                {
                    Assert.Equal(sequential[b][i].Probabilities, concurrent[i].Probabilities);
                }
            }
        }));
        await Task.WhenAll(tasks);
    }

    [Fact]
    public void Product_photos_get_the_same_label_as_the_dataset_image()
    {
        var classifier = new Classifier(model.Artifact);
        var preprocessor = new ImagePreprocessor();
        int agree = 0;
        const int count = 100;
        for (int i = 0; i < count; i++)
        {
            byte[] image = data.Dataset.Test.Image(i).ToArray();
            // Dark garment on white, 8× larger, on a wider canvas: what a shop photo looks like.
            using var photo = Support.TestImages.Gray(224 + 112, 224, (x, y) =>
            {
                int sx = (x - 56) / 8, sy = y / 8;
                byte v = sx is >= 0 and < 28 ? image[sy * 28 + sx] : (byte)0;
                return (byte)(255 - v);
            });
            byte[] pixels = preprocessor.FromEncodedImage(Support.TestImages.Encode(photo, SKEncodedImageFormat.Jpeg, 90));
            agree += classifier.Predict(pixels).Label == classifier.Predict(image).Label ? 1 : 0;
        }

        Assert.True(agree >= 85, $"{agree} of {count} agree");
    }

    [Fact]
    public void Wrong_pixel_counts_are_refused()
    {
        var classifier = new Classifier(model.Artifact);
        Assert.Equal(ImageRejection.WrongPixelCount, Assert.Throws<ImageRejectedException>(() => classifier.Predict(new byte[10])).Reason);
    }

    [Fact]
    public void Top_k_is_sorted_by_probability()
    {
        var classifier = new Classifier(model.Artifact);
        var top = classifier.Predict(TestImages(1)[0]).Top(3);
        Assert.Equal(3, top.Count);
        Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability);
    }
}
