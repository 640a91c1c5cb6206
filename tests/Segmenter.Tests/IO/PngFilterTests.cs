using System.Buffers.Binary;
using System.IO.Compression;
using Segmenter.IO;
using Xunit;

namespace Segmenter.Tests.IO;

/// <summary>
/// The PNG decoder undoes every row filter of the PNG spec (9.2: None, Sub, Up, Average, Paeth), as encoders that choose
/// filters per row (libpng, PIL) write them: each image here cycles through all five, for grey and RGB 8-bit samples.
/// </summary>
public class PngFilterTests
{
    [Theory]
    [InlineData(1, 0, 7, 5)]
    [InlineData(3, 2, 9, 6)]
    [InlineData(4, 6, 4, 10)]
    public void EveryRowFilterDecodesToTheOriginalSamples(int channels, int colorType, int width, int height)
    {
        var rng = new Random(channels * 31 + width);
        int stride = width * channels;
        var image = new byte[height * stride];
        rng.NextBytes(image);
        var raw = new MemoryStream();
        var prev = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            var row = image.AsSpan(y * stride, stride).ToArray();
            int filter = y % 5;
            raw.WriteByte((byte)filter);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                int predictor = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) >> 1, _ => Paeth(a, b, c) };
                raw.WriteByte((byte)(row[i] - predictor));
            }
            prev = row;
        }
        var decoded = PngCodec.Decode(Png(width, height, colorType, raw.ToArray()), "filters.png");
        Assert.Equal((width, height, channels), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(image.Select(v => (int)v), decoded.Samples);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] Png(int width, int height, int colorType, byte[] filteredRows)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = (byte)colorType;
        Chunk(png, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(filteredRows);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        s.Write(System.Text.Encoding.ASCII.GetBytes(type));
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32([.. System.Text.Encoding.ASCII.GetBytes(type), .. data]));
        s.Write(crc);
    }
}
