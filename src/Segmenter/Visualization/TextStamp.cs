using Segmenter.IO;
using SkiaSharp;

namespace Segmenter.Visualization;

/// <summary>
/// Short labels drawn onto an <see cref="RgbImage"/> with SkiaSharp (white text on a dark outline, readable on any
/// colour). Fonts: SkiaSharp's default typeface; on a machine without fonts the text is simply not drawn.
/// </summary>
public static class TextStamp
{
    public static RgbImage Draw(RgbImage image, IEnumerable<(string Text, float X, float Y)> labels, float size = 12)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var rgba = new byte[image.Width * image.Height * 4];
        for (int i = 0, n = image.Width * image.Height; i < n; i++)
        {
            rgba[i * 4] = image.Data[i * 3]; rgba[i * 4 + 1] = image.Data[i * 3 + 1]; rgba[i * 4 + 2] = image.Data[i * 3 + 2]; rgba[i * 4 + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using (var canvas = new SKCanvas(bitmap))
        using (var font = new SKFont(SKTypeface.Default, size))
        using (var stroke = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 3 })
        using (var fill = new SKPaint { Color = SKColors.White, IsAntialias = true })
        {
            foreach (var (text, x, y) in labels)
            {
                canvas.DrawText(text, x, y + size / 2, SKTextAlign.Center, font, stroke);
                canvas.DrawText(text, x, y + size / 2, SKTextAlign.Center, font, fill);
            }
        }
        System.Runtime.InteropServices.Marshal.Copy(bitmap.GetPixels(), rgba, 0, rgba.Length);
        var rgb = new byte[image.Width * image.Height * 3];
        for (int i = 0, n = image.Width * image.Height; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4]; rgb[i * 3 + 1] = rgba[i * 4 + 1]; rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
        return new RgbImage(image.Width, image.Height, rgb);
    }
}
