namespace Segmenter.IO;

/// <summary>
/// The one place images are read and written. Photos (JPEG/PNG) decode to RGB; label PNGs decode to class
/// INDICES (palette index for "P" mode, value for "L" mode), never to colours. Every reader takes the decompression-bomb
/// limit (data.max_image_pixels, see <see cref="ImageLimits"/>) as an argument: callers that run a config pass its value,
/// tools without one read with Pillow's default.
/// </summary>
public static class ImageIO
{
    /// <summary>The native photo codec (JPEG and the other formats Skia reads; JPEGs through libjpeg-turbo when it loads,
    /// see <see cref="TurboJpeg"/>). PNG photos are decoded by <see cref="PngCodec"/>.</summary>
    public static IImageCodec Codec { get; } = new SkiaImageCodec();

    /// <summary>Decodes a JPEG or PNG photo to 8-bit RGB. Missing, empty, corrupt or truncated files raise a SegmenterException naming the file.</summary>
    public static RgbImage ReadRgb(string path, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new SegmenterException("image file not found", path, "check the dataset root, img_dir and split file");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegmenterException($"cannot read image: {e.Message}", path, "check file permissions", e);
        }
        return DecodeRgb(bytes, path, maxPixels);
    }

    /// <summary>
    /// Decodes photo bytes to RGB. PNG goes through <see cref="PngCodec"/> (exact samples, no gamma or colour
    /// management; 16-bit samples keep their high byte, alpha is dropped); everything else through <see cref="Codec"/>.
    /// </summary>
    public static RgbImage DecodeRgb(byte[] bytes, string source, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (bytes.Length == 0) throw new SegmenterException("empty image file (0 bytes)", source, "re-create or re-download the file");
        if (PngCodec.HasSignature(bytes)) return PngToRgb(PngCodec.Decode(bytes, source, maxPixels), source);
        // Decoded by content, never by extension (a BMP or PNG named .jpg is read as what it is); the codec names a
        // .jpg that is no known format a corrupt JPEG.
        return Codec.Decode(bytes, source, maxPixels);
    }

    /// <summary>Writes an RGB image as a JPEG (atomically). Quality 1..100; mmseg/PIL default is 75, VOC photos are ~90-95.</summary>
    public static void WriteJpeg(string path, RgbImage image, int quality = 95) =>
        AtomicFile.WriteAllBytes(path, Codec.EncodeJpeg(image, quality));

    /// <summary>Converts any decoded PNG (grey, grey+alpha, palette, RGB, RGBA; 1-16 bit) to 8-bit RGB.</summary>
    internal static RgbImage PngToRgb(PngCodec.Decoded png, string source)
    {
        int n = png.Width * png.Height, ch = png.Channels, depth = png.BitDepth; // n <= Samples.Length: fits
        var rgb = new byte[ImageLimits.BufferLength(png.Width, png.Height, 3, "PNG", source)];
        var s = png.Samples;
        int maxValue = (1 << depth) - 1;
        byte To8(int v) => depth switch { 8 => (byte)v, 16 => (byte)(v >> 8), _ => (byte)(v * 255 / maxValue) };
        switch (png.Color)
        {
            case PngCodec.ColorType.Palette:
                var plte = png.Palette ?? throw new SegmenterException("corrupt PNG (palette image without a PLTE chunk)", source, "re-create the file");
                int entries = plte.Length / 3;
                for (int i = 0; i < n; i++)
                {
                    int k = s[i];
                    if (k >= entries)
                        throw new SegmenterException($"corrupt PNG (palette index {k} beyond its {entries} colours)", source, "re-create the file");
                    rgb[i * 3] = plte[k * 3]; rgb[i * 3 + 1] = plte[k * 3 + 1]; rgb[i * 3 + 2] = plte[k * 3 + 2];
                }
                break;
            case PngCodec.ColorType.Gray:
            case PngCodec.ColorType.GrayAlpha:
                for (int i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = To8(s[i * ch]);
                break;
            default: // Rgb, Rgba
                for (int i = 0; i < n; i++)
                {
                    rgb[i * 3] = To8(s[i * ch]); rgb[i * 3 + 1] = To8(s[i * ch + 1]); rgb[i * 3 + 2] = To8(s[i * ch + 2]);
                }
                break;
        }
        return new RgbImage(png.Width, png.Height, rgb);
    }

    public static void WritePng(string path, RgbImage image) =>
        AtomicFile.WriteAllBytes(path, PngCodec.Encode(image.Width, image.Height, 3, image.Data));

    /// <summary>Reads a label PNG as class indices. RGB(A) colour masks are rejected with a fix, since their colours are not ids.</summary>
    public static LabelMap ReadLabel(string path, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var png = PngCodec.Decode(path, maxPixels);
        if (png.Color is PngCodec.ColorType.Rgb or PngCodec.ColorType.Rgba or PngCodec.ColorType.GrayAlpha)
            throw new SegmenterException(
                $"label is a colour ({png.Color}) image; class indices are expected", path,
                "save masks as single-channel (L) or palette (P) PNGs holding one class id per pixel");
        if (png.BitDepth == 16)
            throw new SegmenterException("label is a 16-bit PNG; 8-bit class indices are expected", path,
                "save masks as 8-bit L or P PNGs (16-bit id maps are read with ReadIdMap)");
        var data = new byte[png.Width * png.Height];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)png.Samples[i];
        return new LabelMap(png.Width, png.Height, data);
    }

    /// <summary>Reads a single-channel 8- or 16-bit PNG (e.g. Cityscapes instanceIds) as integer ids.</summary>
    public static (int Width, int Height, int[] Ids) ReadIdMap(string path, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var png = PngCodec.Decode(path, maxPixels);
        if (png.Channels != 1)
            throw new SegmenterException($"id map has {png.Channels} channels; one is expected", path, "pass the single-channel id PNG");
        return (png.Width, png.Height, png.Samples);
    }

    /// <summary>Writes a label map as an "L" PNG, or as a "P" PNG when a palette (r,g,b per index) is given.</summary>
    public static void WriteLabelPng(string path, LabelMap label, IReadOnlyList<(byte R, byte G, byte B)>? palette = null)
    {
        byte[]? plte = null;
        if (palette is not null)
        {
            plte = new byte[256 * 3];
            for (int i = 0; i < Math.Min(256, palette.Count); i++)
            {
                plte[i * 3] = palette[i].R; plte[i * 3 + 1] = palette[i].G; plte[i * 3 + 2] = palette[i].B;
            }
        }
        AtomicFile.WriteAllBytes(path, PngCodec.Encode(label.Width, label.Height, 1, label.Data, plte));
    }
}
