using System.Buffers.Binary;
using System.IO.Compression;
using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Tests.Support;

/// <summary>Builds small IDX files for tests.</summary>
internal static class IdxBuilder
{
    public static byte[] Images(int count, int rows = 28, int columns = 28, Func<int, byte>? pixel = null)
    {
        var bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 16; i < bytes.Length; i++)
        {
            bytes[i] = pixel?.Invoke(i - 16) ?? (byte)((i * 7) % 256);
        }

        return bytes;
    }

    public static byte[] Labels(int count, Func<int, byte>? label = null)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            bytes[8 + i] = label?.Invoke(i) ?? (byte)(i % 10);
        }

        return bytes;
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }

        return output.ToArray();
    }

    /// <summary>Writes a complete small dataset (train and test) into a directory.</summary>
    public static void WriteDataset(string directory, int trainCount = 20, int testCount = 10, bool gzip = true)
    {
        void Write(FashionMnistFile file, byte[] raw) =>
            File.WriteAllBytes(Path.Combine(directory, gzip ? file.GzipName : file.Name), gzip ? Gzip(raw) : raw);

        Write(FashionMnistFile.TrainImages, Images(trainCount));
        Write(FashionMnistFile.TrainLabels, Labels(trainCount));
        Write(FashionMnistFile.TestImages, Images(testCount));
        Write(FashionMnistFile.TestLabels, Labels(testCount));
    }
}
