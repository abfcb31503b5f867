namespace FashionFunctions.Core.Data;

/// <summary>The ten Fashion-MNIST labels, in label order.</summary>
public static class FashionMnistClasses
{
    public const int Count = 10;

    public static IReadOnlyList<string> Names { get; } =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public static string NameOf(int label) =>
        label is >= 0 and < Count ? Names[label] : throw new ArgumentOutOfRangeException(nameof(label), label, "A label is 0 to 9.");
}
