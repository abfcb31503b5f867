using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Inference;

/// <summary>
/// Holds one model's weights as tensors and classifies batches of 28×28 pixel images. The weights are read-only
/// after construction, so any number of threads may call <see cref="Predict(IReadOnlyList{byte[]})"/> at once.
/// </summary>
public sealed class Classifier : IDisposable
{
    private readonly Tensor hiddenWeight;
    private readonly Tensor hiddenBias;
    private readonly Tensor outputWeight;
    private readonly Tensor outputBias;

    public Classifier(ModelArtifact artifact)
    {
        TorchRuntime.EnsureAvailable();
        ModelId = artifact.ModelId;
        Manifest = artifact.Manifest;
        var weights = artifact.Weights;
        hiddenWeight = ToTensor(weights["hidden.weight"]);
        hiddenBias = ToTensor(weights["hidden.bias"]);
        outputWeight = ToTensor(weights["output.weight"]);
        outputBias = ToTensor(weights["output.bias"]);
    }

    public string ModelId { get; }
    public ModelManifest Manifest { get; }

    public Prediction Predict(byte[] pixels) => Predict([pixels])[0];

    /// <summary>Classifies images of 784 bytes each (0 = background), in input order.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<byte[]> images)
    {
        if (images.Count == 0)
        {
            return [];
        }

        var batch = new byte[images.Count * FashionMnistFile.PixelsPerImage];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Length != FashionMnistFile.PixelsPerImage)
            {
                throw new ImageRejectedException(ImageRejection.WrongPixelCount, $"Image {i} has {images[i].Length} pixels; expected 784.");
            }

            images[i].CopyTo(batch, i * FashionMnistFile.PixelsPerImage);
        }

        float[] probabilities = Probabilities(batch, images.Count);
        var predictions = new Prediction[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var row = new ArraySegment<float>(probabilities, i * FashionMnistClasses.Count, FashionMnistClasses.Count).ToArray();
            int label = Array.IndexOf(row, row.Max());
            predictions[i] = new Prediction(label, row[label], row, ModelId);
        }

        return predictions;
    }

    /// <summary>Softmax probabilities, [count × 10] row-major, of <paramref name="count"/> images packed in one array.</summary>
    public float[] Probabilities(byte[] packedPixels, int count)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = Training.PixelTensors.FromBytes(packedPixels, count);
        var hidden = nn.functional.relu(nn.functional.linear(x, hiddenWeight, hiddenBias));
        var logits = nn.functional.linear(hidden, outputWeight, outputBias);
        return nn.functional.softmax(logits, 1).data<float>().ToArray();
    }

    /// <summary>The most likely label of each of <paramref name="count"/> images packed in one array.</summary>
    public int[] PredictLabels(byte[] packedPixels, int count)
    {
        const int chunk = 4096;
        var labels = new int[count];
        for (int start = 0; start < count; start += chunk)
        {
            int length = Math.Min(chunk, count - start);
            byte[] slice = packedPixels.AsSpan(start * FashionMnistFile.PixelsPerImage, length * FashionMnistFile.PixelsPerImage).ToArray();
            float[] probabilities = Probabilities(slice, length);
            for (int i = 0; i < length; i++)
            {
                var row = probabilities.AsSpan(i * FashionMnistClasses.Count, FashionMnistClasses.Count);
                labels[start + i] = row.IndexOf(TensorPrimitivesMax(row));
            }
        }

        return labels;
    }

    private static float TensorPrimitivesMax(ReadOnlySpan<float> row)
    {
        float max = row[0];
        foreach (float value in row)
        {
            max = Math.Max(max, value);
        }

        return max;
    }

    public void Dispose()
    {
        hiddenWeight.Dispose();
        hiddenBias.Dispose();
        outputWeight.Dispose();
        outputBias.Dispose();
    }

    private static Tensor ToTensor(NamedTensor named) => tensor(named.Values, named.Shape.Select(d => (long)d).ToArray());
}
