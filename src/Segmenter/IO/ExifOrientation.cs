namespace Segmenter.IO;

/// <summary>
/// Applies an EXIF Orientation tag (TIFF/EXIF 2.3, tag 0x0112, values 1..8) to a decoded photo so that it is upright
/// as viewers show it; the same transposes as Pillow's ImageOps.exif_transpose and OpenCV's imread
/// (modules/imgcodecs/src/loadsave.cpp ApplyExifOrientation), which MMSegmentation's loader goes through.
/// Only photos are oriented: label maps are PNGs that carry no orientation and are read by <see cref="PngCodec"/>.
/// </summary>
public static class ExifOrientation
{
    /// <summary>Returns the image turned upright; 1 (or an unknown value) returns it unchanged.</summary>
    public static RgbImage Apply(RgbImage image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Data;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                // (sx, sy): the stored pixel shown at (x, y).
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),             // mirror horizontal
                    3 => (w - 1 - x, h - 1 - y),     // rotate 180
                    4 => (x, h - 1 - y),             // mirror vertical
                    5 => (y, x),                     // transpose
                    6 => (y, h - 1 - x),             // rotate 90 clockwise
                    7 => (w - 1 - y, h - 1 - x),     // transverse
                    _ => (w - 1 - y, x),             // 8: rotate 90 counter-clockwise
                };
                int d = (y * ow + x) * 3, s = (sy * w + sx) * 3;
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2];
            }
        return new RgbImage(ow, oh, dst);
    }
}
