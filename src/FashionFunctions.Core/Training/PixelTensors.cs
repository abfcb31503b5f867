using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>Turns pixel and label bytes into the tensors the model takes: [n, 784] floats in [0, 1], int64 labels.</summary>
public static class PixelTensors
{
    public static Tensor FromBytes(byte[] pixels, int count)
    {
        using var raw = tensor(pixels, [count, Modeling.FashionMlp.Inputs]);
        using var floats = raw.to_type(ScalarType.Float32);
        return floats.div(255f);
    }

    public static Tensor Labels(byte[] labels)
    {
        using var raw = tensor(labels, [labels.Length]);
        return raw.to_type(ScalarType.Int64);
    }
}
