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
        using var classifier = new Classifier(model.Artifact);
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
        using var classifier = new Classifier(model.Artifact);
        var images = TestImages(20);
        var batch = classifier.Predict(images);
        for (int i = 0; i < images.Length; i++)
        {
            var single = classifier.Predict(images[i]);
            Assert.Equal(single.Label, batch[i].Label);
            Assert.Equal(single.Confidence, batch[i].Confidence, 4);
        }
    }

    [Fact]
    public async Task Is_safe_to_call_from_many_threads_at_once()
    {
        using var classifier = new Classifier(model.Artifact);
        var images = TestImages(64);
        int[] expected = classifier.Predict(images).Select(p => p.Label).ToArray();

        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                int i = (t * 7 + round) % images.Length;
                Assert.Equal(expected[i], classifier.Predict(images[i]).Label);
            }
        }));
        await Task.WhenAll(tasks);
    }

    [Fact]
    public void Product_photos_get_the_same_label_as_the_dataset_image()
    {
        using var classifier = new Classifier(model.Artifact);
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
    public void The_managed_and_libtorch_forward_passes_agree()
    {
        using var classifier = new Classifier(model.Artifact);
        byte[] packed = data.Dataset.Test.Pixels.AsSpan(0, 3 * 784).ToArray();
        float[] managed = classifier.ManagedProbabilities(packed, 3);
        float[] torch = classifier.TorchProbabilities(packed, 3);
        Assert.Equal(30, managed.Length);
        for (int i = 0; i < managed.Length; i++)
        {
            Assert.True(Math.Abs(managed[i] - torch[i]) < 1e-5, $"probability {i}: {managed[i]} vs {torch[i]}");
        }
    }

    [Fact]
    public void Wrong_pixel_counts_are_refused()
    {
        using var classifier = new Classifier(model.Artifact);
        Assert.Equal(ImageRejection.WrongPixelCount, Assert.Throws<ImageRejectedException>(() => classifier.Predict(new byte[10])).Reason);
    }

    [Fact]
    public void Top_k_is_sorted_by_probability()
    {
        using var classifier = new Classifier(model.Artifact);
        var top = classifier.Predict(TestImages(1)[0]).Top(3);
        Assert.Equal(3, top.Count);
        Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability);
    }
}
