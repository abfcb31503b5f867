using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Inference;

/// <summary>
/// One model ready to classify 28×28 pixel images, single or in batches, in managed code (<see cref="MlpForwardPass"/>):
/// serving never loads libtorch. It holds a managed copy of the weights and nothing native, so a classifier
/// dropped from a cache is released like any other object. Read-only after construction: any number of threads
/// may call <see cref="Predict(IReadOnlyList{byte[]})"/> at once.
/// </summary>
public sealed class Classifier
{
    private readonly MlpForwardPass forwardPass;

    public Classifier(ModelArtifact artifact) : this(artifact.Weights, artifact.ModelId)
    {
    }

    public Classifier(ModelWeights weights, string modelId)
    {
        forwardPass = new MlpForwardPass(weights);
        ModelId = modelId;
    }

    public string ModelId { get; }

    /// <summary>The hidden layer's width.</summary>
    public int HiddenUnits => forwardPass.HiddenUnits;

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

        float[] probabilities = forwardPass.Probabilities(batch);
        var predictions = new Prediction[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            float[] row = probabilities.AsSpan(i * FashionMnistClasses.Count, FashionMnistClasses.Count).ToArray();
            int label = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
            predictions[i] = new Prediction(label, row[label], row, ModelId);
        }

        return predictions;
    }

    /// <summary>Softmax probabilities, [count × 10] row-major, of images packed 784 bytes each.</summary>
    public float[] Probabilities(ReadOnlySpan<byte> packedPixels) => forwardPass.Probabilities(packedPixels);
}
