using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Tests.Modeling;

public class SafeTensorsFileTests
{
    private static readonly NamedTensor[] Sample =
    [
        new("a", [2, 3], [1, 2, 3, 4, 5, 6]),
        new("b", [2], [-1.5f, float.Epsilon]),
    ];

    [Fact]
    public void Round_trips_tensors_and_metadata()
    {
        byte[] file = SafeTensorsFile.Write(Sample, new Dictionary<string, string> { ["format"] = "pt" });
        var read = SafeTensorsFile.Read(file);
        Assert.Equal("pt", read.Metadata["format"]);
        Assert.Equal(2, read.Tensors.Count);
        Assert.Equal(Sample[0].Values, read.Tensors.Single(t => t.Name == "a").Values);
        Assert.Equal([2, 3], read.Tensors.Single(t => t.Name == "a").Shape);
        Assert.Equal(Sample[1].Values, read.Tensors.Single(t => t.Name == "b").Values);
    }

    [Fact]
    public void Follows_the_published_layout()
    {
        byte[] file = SafeTensorsFile.Write(Sample);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, (int)headerLength).TrimEnd(' '));
        var b = header.RootElement.GetProperty("b");
        Assert.Equal("F32", b.GetProperty("dtype").GetString());
        Assert.Equal(24, b.GetProperty("data_offsets")[0].GetInt64());
        Assert.Equal(32, b.GetProperty("data_offsets")[1].GetInt64());
        Assert.Equal(8 + headerLength + 32, file.Length);
        Assert.Equal(-1.5f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan((int)(8 + headerLength + 24))));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 255, 255, 255, 255, 255, 255, 255, 127, 0 })]
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, (byte)'n', (byte)'o', (byte)'p', (byte)'e' })]
    public void Rejects_malformed_files(byte[] file)
    {
        Assert.Throws<InvalidModelException>(() => SafeTensorsFile.Read(file));
    }

    [Fact]
    public void Rejects_offsets_that_do_not_fit_the_shape()
    {
        byte[] file = SafeTensorsFile.Write([new NamedTensor("a", [2], [1, 2])]);
        string header = Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadInt64LittleEndian(file));
        byte[] forged = Encoding.UTF8.GetBytes(header.Replace("[2]", "[3]"));
        Array.Copy(forged, 0, file, 8, forged.Length);
        Assert.Contains("do not fit", Assert.Throws<InvalidModelException>(() => SafeTensorsFile.Read(file)).Message);
    }

    [Fact]
    public void Rejects_other_dtypes()
    {
        byte[] file = SafeTensorsFile.Write([new NamedTensor("a", [2], [1, 2])]);
        string header = Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadInt64LittleEndian(file));
        byte[] forged = Encoding.UTF8.GetBytes(header.Replace("F32", "F64"));
        Array.Copy(forged, 0, file, 8, forged.Length);
        Assert.Contains("dtype F64", Assert.Throws<InvalidModelException>(() => SafeTensorsFile.Read(file)).Message);
    }
}
