namespace FashionFunctions.Core.Data;

/// <summary>One of the four canonical IDX files, with the SHA-256 of its uncompressed bytes.</summary>
public sealed record FashionMnistFile(string Name, IdxKind Kind, int Count, string Sha256)
{
    public const int ImageSide = 28;
    public const int PixelsPerImage = ImageSide * ImageSide;

    public static FashionMnistFile TrainImages { get; } =
        new("train-images-idx3-ubyte", IdxKind.Images, 60_000, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888");

    public static FashionMnistFile TrainLabels { get; } =
        new("train-labels-idx1-ubyte", IdxKind.Labels, 60_000, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9");

    public static FashionMnistFile TestImages { get; } =
        new("t10k-images-idx3-ubyte", IdxKind.Images, 10_000, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b");

    public static FashionMnistFile TestLabels { get; } =
        new("t10k-labels-idx1-ubyte", IdxKind.Labels, 10_000, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34");

    public static IReadOnlyList<FashionMnistFile> All { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>The name as published, gzip-compressed.</summary>
    public string GzipName => Name + ".gz";
}

public enum IdxKind
{
    Images,
    Labels,
}
