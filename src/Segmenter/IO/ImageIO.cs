namespace Segmenter.IO;

/// <summary>
/// The one place images are read and written. Photos (JPEG/PNG) decode to RGB; label PNGs decode to class
/// INDICES (palette index for "P" mode, value for "L" mode), never to colours.
/// </summary>
public static class ImageIO
{
    /// <summary>Decodes a JPEG or PNG photo to 8-bit RGB. Missing, corrupt or truncated files raise a SegmenterException naming the file.</summary>
    public static RgbImage ReadRgb(string path) => throw new NotImplementedException("ImageIO.ReadRgb");

    public static void WriteJpeg(string path, RgbImage image, int quality = 95) => throw new NotImplementedException("ImageIO.WriteJpeg");

    public static void WritePng(string path, RgbImage image) =>
        AtomicFile.WriteAllBytes(path, PngCodec.Encode(image.Width, image.Height, 3, image.Data));

    /// <summary>Reads a label PNG as class indices. RGB(A) colour masks are rejected with a fix, since their colours are not ids.</summary>
    public static LabelMap ReadLabel(string path)
    {
        var png = PngCodec.Decode(path);
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
    public static (int Width, int Height, int[] Ids) ReadIdMap(string path)
    {
        var png = PngCodec.Decode(path);
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
