using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Segmenter.IO;

namespace Segmenter.Tests.Hostile;

/// <summary>
/// Builds the hostile files of issue 14 as tiny byte arrays: image bombs whose headers declare huge sizes, photos with
/// EXIF orientations, BMPs. Nothing here needs Python or files on disk.
/// </summary>
public static class CraftedFiles
{
    /// <summary>A PNG declaring width x height (colour type 0 grey / 2 RGB, 8-bit) whose IDAT is a zlib stream of zeroBytes zeros.</summary>
    public static byte[] PngBomb(int width, int height, byte colorType, int zeroBytes = 1 << 20)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = colorType;
        Chunk(ms, "IHDR", ihdr);
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[64 * 1024];
            for (int left = zeroBytes; left > 0; left -= zeros.Length) zs.Write(zeros, 0, Math.Min(left, zeros.Length));
        }
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A real small JPEG whose SOF marker is patched to declare width x height.</summary>
    public static byte[] JpegClaiming(int width, int height)
    {
        var jpeg = Jpeg(Solid(16, 16, 128, 128, 128));
        int sof = FindMarker(jpeg, 0xC0);
        // SOFn: FF C0, length(2), precision(1), height(2), width(2), ...
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), (ushort)width);
        return jpeg;
    }

    public static byte[] Jpeg(RgbImage image, int quality = 95) => ImageIO.Codec.EncodeJpeg(image, quality);

    /// <summary>The JPEG with an APP1 Exif segment (little-endian TIFF, one IFD0 entry: Orientation) inserted after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        using var tiff = new MemoryStream();
        tiff.Write("II*\0"u8);
        tiff.Write(Le32(8));
        tiff.Write(Le16(1));                     // one entry
        tiff.Write(Le16(0x0112)); tiff.Write(Le16(3)); tiff.Write(Le32(1)); // Orientation, SHORT, count 1
        tiff.Write(Le16(orientation)); tiff.Write(Le16(0));
        tiff.Write(Le32(0));                     // no next IFD
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff.ToArray()).ToArray();
        var app1 = new List<byte> { 0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)((payload.Length + 2) & 0xFF) };
        app1.AddRange(payload);
        return jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();
    }

    /// <summary>A 24-bit bottom-up BMP (BITMAPINFOHEADER); declaredHeight/Width override the header only (bombs).</summary>
    public static byte[] Bmp(RgbImage image, int? declaredWidth = null, int? declaredHeight = null)
    {
        int w = image.Width, h = image.Height, stride = (w * 3 + 3) / 4 * 4;
        var b = new byte[54 + stride * h];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), declaredWidth ?? w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), declaredHeight ?? h);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(34), stride * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = (y * w + x) * 3, d = 54 + (h - 1 - y) * stride + x * 3;
                b[d] = image.Data[s + 2]; b[d + 1] = image.Data[s + 1]; b[d + 2] = image.Data[s]; // BGR
            }
        return b;
    }

    public static RgbImage Solid(int w, int h, byte r, byte g, byte b)
    {
        var d = new byte[w * h * 3];
        for (int i = 0; i < d.Length; i += 3) { d[i] = r; d[i + 1] = g; d[i + 2] = b; }
        return new RgbImage(w, h, d);
    }

    /// <summary>Left half red, right half blue: its orientation is visible after any rotation or mirror.</summary>
    public static RgbImage RedLeftBlueRight(int w, int h)
    {
        var d = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                if (x < w / 2) d[p] = 255; else d[p + 2] = 255;
            }
        return new RgbImage(w, h, d);
    }

    /// <summary>Offset of marker FF type in a JPEG, walking the segments from SOI.</summary>
    public static int FindMarker(byte[] jpeg, byte type)
    {
        int pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            if (jpeg[pos] != 0xFF) throw new InvalidDataException($"no marker at {pos}");
            if (jpeg[pos + 1] == type) return pos;
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 2));
        }
        throw new InvalidDataException($"marker FF{type:X2} not found");
    }

    private static byte[] Le16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); return b; }
    private static byte[] Le16(int v) => Le16((ushort)v);
    private static byte[] Le32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); return b; }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        uint c = 0xFFFFFFFFu;
        foreach (var x in t.Concat(data)) { c ^= x; for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1; }
        BinaryPrimitives.WriteUInt32BigEndian(len, c ^ 0xFFFFFFFFu);
        s.Write(len);
    }
}
