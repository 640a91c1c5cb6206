using Segmenter.IO;

namespace Segmenter.Visualization;

/// <summary>
/// Pixel-level picture making on <see cref="RgbImage"/>: label maps coloured by a palette, colour masks blended over a
/// photo, error maps, images placed side by side, nearest-neighbour downscaling. No native drawing library: every
/// output is plain bytes a test can check pixel by pixel.
/// </summary>
public static class Panels
{
    /// <summary>Ignored pixels (and classes past the palette) are drawn black, as mmseg's show_result leaves them.</summary>
    public static readonly (byte R, byte G, byte B) IgnoreColour = (0, 0, 0);

    /// <summary>A label map coloured by <paramref name="palette"/>; <paramref name="ignoreIndex"/> is black.</summary>
    public static RgbImage Colorize(LabelMap label, IReadOnlyList<(byte R, byte G, byte B)> palette, int ignoreIndex)
    {
        var rgb = new byte[label.Width * label.Height * 3];
        for (int i = 0; i < label.Data.Length; i++)
        {
            int v = label.Data[i];
            var c = v == ignoreIndex || v >= palette.Count ? IgnoreColour : palette[v];
            rgb[i * 3] = c.R; rgb[i * 3 + 1] = c.G; rgb[i * 3 + 2] = c.B;
        }
        return new RgbImage(label.Width, label.Height, rgb);
    }

    /// <summary>
    /// (1 − α)·image + α·colour(label) per pixel, as mmseg's show_result(opacity=α); ignored pixels keep the photo.
    /// </summary>
    public static RgbImage Overlay(RgbImage image, LabelMap label, IReadOnlyList<(byte R, byte G, byte B)> palette, int ignoreIndex, double alpha)
    {
        CheckSameSize(image, label.Width, label.Height);
        var rgb = (byte[])image.Data.Clone();
        for (int i = 0; i < label.Data.Length; i++)
        {
            int v = label.Data[i];
            if (v == ignoreIndex || v >= palette.Count) continue;
            var c = palette[v];
            rgb[i * 3] = Mix(rgb[i * 3], c.R, alpha);
            rgb[i * 3 + 1] = Mix(rgb[i * 3 + 1], c.G, alpha);
            rgb[i * 3 + 2] = Mix(rgb[i * 3 + 2], c.B, alpha);
        }
        return new RgbImage(image.Width, image.Height, rgb);
    }

    /// <summary>Error map as DeepLab2's vis.py draws it: white where the prediction is wrong, black where right or ignored.</summary>
    public static RgbImage ErrorMap(LabelMap truth, LabelMap prediction, int ignoreIndex)
    {
        if (truth.Width != prediction.Width || truth.Height != prediction.Height)
            throw new ArgumentException("error map: truth and prediction differ in size");
        var rgb = new byte[truth.Width * truth.Height * 3];
        for (int i = 0; i < truth.Data.Length; i++)
            if (truth.Data[i] != ignoreIndex && truth.Data[i] != prediction.Data[i])
                rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = 255;
        return new RgbImage(truth.Width, truth.Height, rgb);
    }

    /// <summary>Images left to right with a <paramref name="gap"/>-pixel white gutter, top-aligned; height = the tallest.</summary>
    public static RgbImage SideBySide(IReadOnlyList<RgbImage> images, int gap = 4)
    {
        int width = images.Sum(i => i.Width) + gap * Math.Max(0, images.Count - 1);
        int height = images.Max(i => i.Height);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        int x0 = 0;
        foreach (var img in images)
        {
            for (int y = 0; y < img.Height; y++)
                Array.Copy(img.Data, y * img.Width * 3, rgb, (y * width + x0) * 3, img.Width * 3);
            x0 += img.Width + gap;
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>Images stacked top to bottom with a white gutter; width = the widest.</summary>
    public static RgbImage Stacked(IReadOnlyList<RgbImage> images, int gap = 4)
    {
        int width = images.Max(i => i.Width);
        int height = images.Sum(i => i.Height) + gap * Math.Max(0, images.Count - 1);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        int y0 = 0;
        foreach (var img in images)
        {
            for (int y = 0; y < img.Height; y++)
                Array.Copy(img.Data, y * img.Width * 3, rgb, ((y0 + y) * width) * 3, img.Width * 3);
            y0 += img.Height + gap;
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>Nearest-neighbour downscale so the longer side is at most <paramref name="maxSide"/> (unchanged if already small).</summary>
    public static RgbImage FitWithin(RgbImage image, int maxSide)
    {
        double s = (double)maxSide / Math.Max(image.Width, image.Height);
        if (s >= 1) return image;
        int w = Math.Max(1, (int)(image.Width * s)), h = Math.Max(1, (int)(image.Height * s));
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            int sy = Math.Min(image.Height - 1, (int)(y / s));
            for (int x = 0; x < w; x++)
            {
                int sx = Math.Min(image.Width - 1, (int)(x / s));
                Array.Copy(image.Data, (sy * image.Width + sx) * 3, rgb, (y * w + x) * 3, 3);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static byte Mix(byte a, byte b, double alpha) => (byte)Math.Clamp(Math.Round((1 - alpha) * a + alpha * b), 0, 255);

    private static void CheckSameSize(RgbImage image, int w, int h)
    {
        if (image.Width != w || image.Height != h)
            throw new ArgumentException($"image {image.Width}x{image.Height} and label {w}x{h} differ in size");
    }
}
