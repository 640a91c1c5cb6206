namespace Segmenter.IO;

/// <summary>
/// The photo codec behind <see cref="ImageIO"/>: the one seam where a native imaging library is used, so it can be
/// swapped (or faked in tests) without touching callers. Label PNGs never go through it (see <see cref="PngCodec"/>).
/// </summary>
public interface IImageCodec
{
    /// <summary>Decodes an encoded photo to 8-bit RGB; <paramref name="source"/> names the file in errors. A declared size
    /// above twice <paramref name="maxPixels"/> (data.max_image_pixels) is refused before pixels are allocated (<see cref="ImageLimits"/>).</summary>
    RgbImage Decode(byte[] bytes, string source, long maxPixels = ImageLimits.DefaultMaxPixels);

    /// <summary>Encodes RGB as a baseline JPEG (quality 1..100).</summary>
    byte[] EncodeJpeg(RgbImage image, int quality);
}
