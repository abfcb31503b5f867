using System.Security.Cryptography;

namespace FashionFunctions.Core.Data;

/// <summary>Reads and validates the four files of a source into a <see cref="FashionMnistDataset"/>.</summary>
public static class FashionMnistLoader
{
    public static async Task<FashionMnistDataset> LoadAsync(IDatasetSource source, CancellationToken cancellationToken = default)
    {
        var sha256ByFile = new Dictionary<string, string>();
        var data = new Dictionary<FashionMnistFile, byte[]>();
        foreach (var file in FashionMnistFile.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using Stream stream = await source.OpenAsync(file, cancellationToken).ConfigureAwait(false);
            byte[] idx = IdxReader.ReadAllUncompressed(stream, file.Name);
            sha256ByFile[file.Name] = Convert.ToHexStringLower(SHA256.HashData(idx));
            data[file] = IdxReader.Parse(idx, file.Kind, file.Name);
        }

        return new FashionMnistDataset(
            MakeSplit(data, FashionMnistFile.TrainImages, FashionMnistFile.TrainLabels),
            MakeSplit(data, FashionMnistFile.TestImages, FashionMnistFile.TestLabels),
            sha256ByFile,
            source.Description);
    }

    private static FashionMnistSplit MakeSplit(Dictionary<FashionMnistFile, byte[]> data, FashionMnistFile images, FashionMnistFile labels)
    {
        byte[] pixels = data[images];
        byte[] labelBytes = data[labels];
        int imageCount = pixels.Length / FashionMnistFile.PixelsPerImage;
        if (imageCount != labelBytes.Length)
        {
            throw new InvalidDatasetException(images.Name, $"holds {imageCount} images but {labels.Name} holds {labelBytes.Length} labels.");
        }

        return new FashionMnistSplit(pixels, labelBytes);
    }
}
