using System.Buffers.Binary;
using System.IO.Compression;

namespace FashionFunctions.Core.Data;

/// <summary>
/// Reads IDX files (the MNIST format: big-endian magic 0x00000801 / 0x00000803 for unsigned-byte labels / images,
/// then the dimension sizes, then the data), gzip-compressed or raw.
/// </summary>
public static class IdxReader
{
    public const int LabelsMagic = 2049;
    public const int ImagesMagic = 2051;

    /// <summary>The largest count accepted, so that a corrupt header cannot make us allocate gigabytes.</summary>
    public const int MaxItems = 1_000_000;

    private static readonly byte[] GzipSignature = [0x1f, 0x8b];

    /// <summary>Returns the uncompressed bytes of an IDX file, decompressing it when it is gzip.</summary>
    public static byte[] ReadAllUncompressed(Stream stream, string fileName)
    {
        using var buffered = new MemoryStream();
        try
        {
            stream.CopyTo(buffered);
        }
        catch (IOException e)
        {
            throw new InvalidDatasetException(fileName, $"could not be read ({e.Message}).", e);
        }

        byte[] bytes = buffered.ToArray();
        if (bytes.Length < 2 || bytes[0] != GzipSignature[0] || bytes[1] != GzipSignature[1])
        {
            return bytes;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            // GZipStream stops quietly at a truncated stream; the trailer's ISIZE (length mod 2^32) catches that.
            uint declaredLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
            if (bytes.Length < 18 || declaredLength != (uint)output.Length)
            {
                throw new InvalidDataException("gzip trailer does not match the decompressed length");
            }

            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDatasetException(fileName, "is not a valid gzip stream (truncated or corrupt).", e);
        }
    }

    /// <summary>Parses uncompressed IDX bytes of the given kind and returns the data: one byte per label, or
    /// 784 bytes per 28×28 image.</summary>
    public static byte[] Parse(ReadOnlySpan<byte> idx, IdxKind kind, string fileName)
    {
        int expectedMagic = kind == IdxKind.Images ? ImagesMagic : LabelsMagic;
        int headerLength = kind == IdxKind.Images ? 16 : 8;
        if (idx.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(idx) is var magic && magic != expectedMagic)
        {
            throw new InvalidDatasetException(fileName, $"has magic number {magic}; expected {expectedMagic} for {kind.ToString().ToLowerInvariant()}.");
        }

        if (idx.Length < headerLength)
        {
            throw new InvalidDatasetException(fileName, $"is {idx.Length} bytes long, shorter than an IDX header ({headerLength} bytes).");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(idx[4..]);
        if (count is <= 0 or > MaxItems)
        {
            throw new InvalidDatasetException(fileName, $"declares {count} items; expected 1 to {MaxItems}.");
        }

        int itemSize = 1;
        if (kind == IdxKind.Images)
        {
            int rows = BinaryPrimitives.ReadInt32BigEndian(idx[8..]);
            int columns = BinaryPrimitives.ReadInt32BigEndian(idx[12..]);
            if (rows != FashionMnistFile.ImageSide || columns != FashionMnistFile.ImageSide)
            {
                throw new InvalidDatasetException(fileName, $"has {rows}×{columns} images; expected 28×28.");
            }

            itemSize = FashionMnistFile.PixelsPerImage;
        }

        long expectedLength = headerLength + (long)count * itemSize;
        if (idx.Length != expectedLength)
        {
            string what = idx.Length < expectedLength ? "truncated" : "longer than its header says";
            throw new InvalidDatasetException(fileName, $"is {what}: {idx.Length} bytes, expected {expectedLength} for {count} items.");
        }

        byte[] data = idx[headerLength..].ToArray();
        if (kind == IdxKind.Labels)
        {
            int bad = Array.FindIndex(data, label => label >= FashionMnistClasses.Count);
            if (bad >= 0)
            {
                throw new InvalidDatasetException(fileName, $"label {bad} is {data[bad]}; labels are 0 to 9.");
            }
        }

        return data;
    }
}
