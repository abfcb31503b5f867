using System.Buffers.Binary;
using SkiaSharp;

namespace FashionFunctions.Core.Tests.Support;

/// <summary>Encodes generated or dataset images in the formats the preprocessor accepts.</summary>
internal static class TestImages
{
    /// <summary>A width×height image whose gray value at (x, y) is <paramref name="gray"/>(x, y).</summary>
    public static SKBitmap Gray(int width, int height, Func<int, int, byte> gray)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte g = gray(x, y);
                bitmap.SetPixel(x, y, new SKColor(g, g, g));
            }
        }

        return bitmap;
    }

    public static SKBitmap FromPixels(ReadOnlySpan<byte> pixels28)
    {
        byte[] copy = pixels28.ToArray();
        return Gray(28, 28, (x, y) => copy[y * 28 + x]);
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 100)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>An uncompressed 24-bit BMP (Skia decodes BMP but does not encode it).</summary>
    public static byte[] Bmp(SKBitmap bitmap)
    {
        int rowBytes = (bitmap.Width * 3 + 3) & ~3;
        var bytes = new byte[54 + rowBytes * bitmap.Height];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), bitmap.Width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), bitmap.Height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        for (int y = 0; y < bitmap.Height; y++)
        {
            int row = 54 + (bitmap.Height - 1 - y) * rowBytes;
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                bytes[row + x * 3] = c.Blue;
                bytes[row + x * 3 + 1] = c.Green;
                bytes[row + x * 3 + 2] = c.Red;
            }
        }

        return bytes;
    }

    /// <summary>Inserts an EXIF APP1 segment carrying only an Orientation tag (1–8) right after a JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0,           // little-endian TIFF header, first IFD at 8
            1, 0,                                            // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0,                    // tag 0x0112 Orientation, SHORT, count 1
            (byte)orientation, (byte)(orientation >> 8), 0, 0, // value
            0, 0, 0, 0,                                      // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>A 2×2 GIF87a (made with Pillow): white top row, black bottom row.</summary>
    public static byte[] TinyGif() =>
    [
        0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 0x02, 0x00, 0x02, 0x00, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x08, 0x07, 0x00,
        0x03, 0x04, 0x00, 0x00, 0x20, 0x20, 0x00, 0x3B,
    ];

    /// <summary>A PNG whose header declares the given size, followed by only a few rows of image data: small to
    /// send, huge once decoded.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (grayscale)
        Chunk(png, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(new byte[(width + 1) * 4]);
        }

        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return [.. png];
    }

    private static void Chunk(List<byte> png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.AddRange(length);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.AddRange(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(typed));
        png.AddRange(crc);
    }
}
