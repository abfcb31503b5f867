using FashionFunctions.Core.Data;
using FashionFunctions.Core.Tests.Support;

namespace FashionFunctions.Core.Tests.Data;

public class IdxReaderTests
{
    [Fact]
    public void Parses_raw_images_into_784_bytes_each()
    {
        byte[] idx = IdxBuilder.Images(3);
        byte[] pixels = IdxReader.Parse(idx, IdxKind.Images, "x");
        Assert.Equal(3 * 784, pixels.Length);
        Assert.Equal(idx[16..], pixels);
    }

    [Fact]
    public void Decompresses_gzip_and_passes_raw_through()
    {
        byte[] raw = IdxBuilder.Labels(5);
        Assert.Equal(raw, IdxReader.ReadAllUncompressed(new MemoryStream(IdxBuilder.Gzip(raw)), "l"));
        Assert.Equal(raw, IdxReader.ReadAllUncompressed(new MemoryStream(raw), "l"));
    }

    [Fact]
    public void Rejects_a_labels_file_given_as_images_naming_the_file_and_magic()
    {
        var e = Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(IdxBuilder.Labels(16), IdxKind.Images, "train-images-idx3-ubyte"));
        Assert.Equal("train-images-idx3-ubyte", e.FileName);
        Assert.Contains("magic number 2049", e.Message);
        Assert.Contains("2051", e.Message);
    }

    [Fact]
    public void Rejects_a_truncated_file()
    {
        byte[] idx = IdxBuilder.Images(4);
        var e = Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(idx.AsSpan(0, idx.Length - 100), IdxKind.Images, "imgs"));
        Assert.Contains("truncated", e.Message);
        Assert.StartsWith("imgs:", e.Message);
    }

    [Fact]
    public void Rejects_trailing_bytes()
    {
        byte[] idx = [.. IdxBuilder.Labels(4), 1, 2];
        Assert.Contains("longer than its header", Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(idx, IdxKind.Labels, "l")).Message);
    }

    [Fact]
    public void Rejects_images_that_are_not_28_by_28()
    {
        var e = Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(IdxBuilder.Images(2, 32, 32), IdxKind.Images, "imgs"));
        Assert.Contains("32×32", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MaxValue)]
    public void Rejects_an_absurd_item_count_without_allocating(int count)
    {
        byte[] idx = IdxBuilder.Labels(1);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(4), count);
        Assert.Contains("declares", Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(idx, IdxKind.Labels, "l")).Message);
    }

    [Fact]
    public void Rejects_labels_outside_0_to_9()
    {
        byte[] idx = IdxBuilder.Labels(3, i => i == 2 ? (byte)10 : (byte)1);
        Assert.Contains("label 2 is 10", Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse(idx, IdxKind.Labels, "l")).Message);
    }

    [Fact]
    public void Rejects_a_short_header()
    {
        Assert.Contains("shorter than an IDX header", Assert.Throws<InvalidDatasetException>(() => IdxReader.Parse([0, 0, 8, 3, 0], IdxKind.Images, "i")).Message);
    }

    [Fact]
    public void Rejects_a_corrupt_gzip_stream()
    {
        byte[] gz = IdxBuilder.Gzip(IdxBuilder.Images(10));
        byte[] cut = gz[..(gz.Length / 2)];
        var e = Assert.Throws<InvalidDatasetException>(() => IdxReader.ReadAllUncompressed(new MemoryStream(cut), "t10k-images-idx3-ubyte.gz"));
        Assert.Contains("gzip", e.Message);
        Assert.Equal("t10k-images-idx3-ubyte.gz", e.FileName);
    }
}
