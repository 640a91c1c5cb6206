using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Segmenter.IO;

/// <summary>
/// A small PNG decoder/encoder that keeps what general decoders throw away: the palette INDICES of a
/// palette ("P" mode) PNG, which are the class ids of VOC labels, and the raw values of 8/16-bit grey PNGs.
/// Supports every colour type and bit depth of the PNG spec, non-interlaced and Adam7.
/// </summary>
public static class PngCodec
{
    public enum ColorType : byte { Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6 }

    /// <summary>Decoded samples: <see cref="Samples"/> holds Channels values per pixel, row-major, widened to int (16-bit kept).</summary>
    public sealed record Decoded(int Width, int Height, ColorType Color, int BitDepth, int Channels, int[] Samples, byte[]? Palette);

    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Reads and decodes a PNG file; its declared size is checked against <paramref name="maxPixels"/> (data.max_image_pixels) first.</summary>
    public static Decoded Decode(string path, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new SegmenterException("file not found", path, "check the dataset root and split file");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegmenterException($"cannot read: {e.Message}", path, "check file permissions", e);
        }
        return Decode(bytes, path, maxPixels);
    }

    /// <summary>True when the bytes start with the 8-byte PNG signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(Signature);

    /// <summary>Decodes PNG bytes; <paramref name="source"/> names them in errors, <paramref name="maxPixels"/> is data.max_image_pixels.</summary>
    public static Decoded Decode(byte[] png, string source, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (png.Length == 0) throw new SegmenterException("empty file (0 bytes)", source, "re-create or re-download the file");
        if (!HasSignature(png))
            throw new SegmenterException("not a PNG file (bad signature)", source, "re-export the label as PNG");
        int pos = 8, width = 0, height = 0, bitDepth = 0, interlace = 0;
        ColorType color = ColorType.Gray;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool sawEnd = false, sawHeader = false;
        while (pos + 8 <= png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            if (len < 0 || pos + 12 + (long)len > png.Length)
                throw new SegmenterException($"truncated PNG (chunk {type} runs past the end of the file)", source, "re-create or re-download the file");
            var data = png.AsSpan(pos + 8, len);
            switch (type)
            {
                case "IHDR":
                    if (len != 13) throw new SegmenterException($"corrupt PNG (IHDR has {len} bytes, 13 expected)", source, "re-create the file");
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    color = (ColorType)data[9];
                    interlace = data[12];
                    sawHeader = true;
                    // Decompression-bomb guard on the declared size, before any pixel buffer exists (ImageLimits).
                    ImageLimits.Check((uint)width, (uint)height, "PNG", source, maxPixels);
                    break;
                case "PLTE": palette = data.ToArray(); break;
                case "IDAT": idat.Write(data); break;
                case "IEND": sawEnd = true; break;
            }
            pos += 12 + len;
            if (sawEnd) break;
        }
        if (!sawHeader) throw new SegmenterException("not a PNG file (no IHDR)", source, "re-create the file");
        if (!sawEnd) throw new SegmenterException("truncated PNG (no IEND chunk)", source, "re-create or re-download the file");
        if (width <= 0 || height <= 0) throw new SegmenterException($"PNG has an invalid size {width}x{height}", source, "re-create the file");

        int channels = color switch
        {
            ColorType.Gray => 1, ColorType.Rgb => 3, ColorType.Palette => 1, ColorType.GrayAlpha => 2, ColorType.Rgba => 4,
            _ => throw new SegmenterException($"PNG has an unknown colour type {(int)color}", source, "re-create the file"),
        };
        bool depthOk = color switch
        {
            ColorType.Gray => bitDepth is 1 or 2 or 4 or 8 or 16,
            ColorType.Palette => bitDepth is 1 or 2 or 4 or 8,
            _ => bitDepth is 8 or 16,
        };
        if (!depthOk) throw new SegmenterException($"corrupt PNG (bit depth {bitDepth} is invalid for colour type {color})", source, "re-create the file");
        if ((long)width * height * channels > int.MaxValue / 2)
            throw new SegmenterException($"PNG is too large ({width}x{height})", source, "downscale the image");
        // Inflate at most the bytes the declared size needs (filter byte + packed row, per pass): a zlib stream that
        // expands further (a zlib bomb behind a small IHDR) is cut there, as libpng ignores extra compressed data.
        byte[] raw = new byte[ImageLimits.BufferLength(RawLength(width, height, channels * bitDepth, interlace != 0), 1, 1, "PNG", source)];
        try
        {
            idat.Position = 0;
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < raw.Length) Array.Resize(ref raw, got);
        }
        catch (InvalidDataException e)
        {
            throw new SegmenterException("corrupt PNG (image data does not decompress)", source, "re-create or re-download the file", e);
        }

        var samples = new int[ImageLimits.BufferLength(width, height, channels, "PNG", source)];
        if (interlace == 0 && bitDepth == 8)
            Unfilter8(raw, width, height, channels, source, samples);   // the common case (label maps, photos): row-wise, no per-sample call
        else if (interlace == 0)
        {
            int used = Unfilter(raw, 0, width, height, channels, bitDepth, source, (x, y, c, v) => samples[(y * width + x) * channels + c] = v);
            _ = used;
        }
        else
        {
            // Adam7: seven passes with (x0, y0, dx, dy).
            int[,] passes = { { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };
            int offset = 0;
            for (int p = 0; p < 7; p++)
            {
                int x0 = passes[p, 0], y0 = passes[p, 1], dx = passes[p, 2], dy = passes[p, 3];
                int pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
                if (pw <= 0 || ph <= 0) continue;
                offset += Unfilter(raw, offset, pw, ph, channels, bitDepth, source,
                    (x, y, c, v) => samples[((y0 + y * dy) * width + x0 + x * dx) * channels + c] = v);
            }
        }
        return new Decoded(width, height, color, bitDepth, channels, samples, palette);
    }

    /// <summary>Bytes of filtered scanlines the image needs (each row: one filter byte + ceil(width * bits / 8)); Adam7 sums its seven passes.</summary>
    private static long RawLength(long width, long height, int bitsPerPixel, bool adam7)
    {
        static long Rows(long w, long h, int bits) => w <= 0 || h <= 0 ? 0 : h * ((w * bits + 7) / 8 + 1);
        if (!adam7) return Rows(width, height, bitsPerPixel);
        int[,] passes = { { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };
        long total = 0;
        for (int p = 0; p < 7; p++)
            total += Rows((width - passes[p, 0] + passes[p, 2] - 1) / passes[p, 2], (height - passes[p, 1] + passes[p, 3] - 1) / passes[p, 3], bitsPerPixel);
        return total;
    }

    private static int Unfilter(byte[] raw, int offset, int width, int height, int channels, int bitDepth, string source, Action<int, int, int, int> put)
    {
        int bitsPerPixel = channels * bitDepth;
        long strideBytes = ((long)width * bitsPerPixel + 7) / 8; // long: a 40-million-pixel-wide row of 64-bit pixels overflows int
        if (strideBytes >= Array.MaxLength)
            throw new SegmenterException($"PNG rows of {width} pixels are too wide for one buffer", source, "downscale or tile the image");
        int stride = (int)strideBytes;
        int bpp = Math.Max(1, bitsPerPixel / 8);
        if (offset + (long)(stride + 1) * height > raw.Length)
            throw new SegmenterException("truncated PNG (image data shorter than the image size)", source, "re-create or re-download the file");
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int rowStart = offset + y * (stride + 1);
            byte filter = raw[rowStart];
            Buffer.BlockCopy(raw, rowStart + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                cur[i] = filter switch
                {
                    0 => cur[i],
                    1 => (byte)(cur[i] + a),
                    2 => (byte)(cur[i] + b),
                    3 => (byte)(cur[i] + ((a + b) >> 1)),
                    4 => (byte)(cur[i] + Paeth(a, b, c)),
                    _ => throw new SegmenterException($"corrupt PNG (unknown row filter {filter})", source, "re-create the file"),
                };
            }
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < channels; ch++)
                {
                    int v;
                    if (bitDepth == 8) v = cur[x * channels + ch];
                    else if (bitDepth == 16) v = (cur[(x * channels + ch) * 2] << 8) | cur[(x * channels + ch) * 2 + 1];
                    else
                    {
                        int bit = (x * channels + ch) * bitDepth;
                        v = (cur[bit >> 3] >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
                    }
                    put(x, y, ch, v);
                }
            (prev, cur) = (cur, prev);
        }
        return (stride + 1) * height;
    }

    /// <summary>
    /// <see cref="Unfilter"/> for non-interlaced 8-bit images: the filter is chosen once per row and each filter is one
    /// tight loop (PNG spec 9.2: bytes to the left closer than one pixel count as 0, so Sub/Avg/Paeth start at byte bpp).
    /// </summary>
    private static void Unfilter8(byte[] raw, int width, int height, int channels, string source, int[] samples)
    {
        int stride = width * channels, bpp = channels;
        if ((long)(stride + 1) * height > raw.Length)
            throw new SegmenterException("truncated PNG (image data shorter than the image size)", source, "re-create or re-download the file");
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int rowStart = y * (stride + 1);
            byte filter = raw[rowStart];
            Buffer.BlockCopy(raw, rowStart + 1, cur, 0, stride);
            switch (filter)
            {
                case 0: break;
                case 1: for (int i = bpp; i < stride; i++) cur[i] += cur[i - bpp]; break;
                case 2: for (int i = 0; i < stride; i++) cur[i] += prev[i]; break;
                case 3:
                    for (int i = 0; i < bpp; i++) cur[i] += (byte)(prev[i] >> 1);
                    for (int i = bpp; i < stride; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                    break;
                case 4:
                    for (int i = 0; i < bpp; i++) cur[i] += prev[i]; // Paeth(0, b, 0) = b
                    for (int i = bpp; i < stride; i++) cur[i] += (byte)Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
                    break;
                default: throw new SegmenterException($"corrupt PNG (unknown row filter {filter})", source, "re-create the file");
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) samples[o + i] = cur[i];
            (prev, cur) = (cur, prev);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Encodes 8-bit samples (1 = L/P, 3 = RGB, 4 = RGBA channels). A palette (r,g,b triples) makes a "P" mode PNG.</summary>
    public static byte[] Encode(int width, int height, int channels, ReadOnlySpan<byte> samples, byte[]? palette = null)
    {
        ColorType color = palette is not null ? ColorType.Palette : channels switch
        {
            1 => ColorType.Gray, 3 => ColorType.Rgb, 4 => ColorType.Rgba,
            _ => throw new ArgumentException("channels must be 1, 3 or 4"),
        };
        if (palette is not null && channels != 1) throw new ArgumentException("a palette PNG has one channel");
        using var ms = new MemoryStream();
        ms.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = (byte)color;
        WriteChunk(ms, "IHDR", ihdr);
        if (palette is not null) WriteChunk(ms, "PLTE", palette);
        int stride = width * channels;
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(samples.Slice(y * stride, stride));
            }
        }
        WriteChunk(ms, "IDAT", raw.ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        uint crc = Crc32(typeBytes, data);
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(byte[] a, byte[] b)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var x in a) c = CrcTable[(c ^ x) & 0xff] ^ (c >> 8);
        foreach (var x in b) c = CrcTable[(c ^ x) & 0xff] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
