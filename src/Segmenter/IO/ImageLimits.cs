using Serilog;

namespace Segmenter.IO;

/// <summary>
/// The decompression-bomb guard every image reader applies to the size a file DECLARES (PNG IHDR, the JPEG/BMP/GIF/WebP
/// header Skia reads) before any pixel buffer is allocated. Policy follows Pillow, the most used reader of the field
/// (PIL/Image.py _decompression_bomb_check): above the limit a warning, above twice the limit a refusal.
/// Pillow's default MAX_IMAGE_PIXELS is 89,478,485 (= 1024 * 1024 * 1024 // 4 // 3); Cityscapes frames are 2.1 M.
/// The limit is a value each read receives (data.max_image_pixels of the config the caller runs), so two configs in
/// one process each read with their own limit; readers without a config use <see cref="DefaultMaxPixels"/>.
/// </summary>
public static class ImageLimits
{
    /// <summary>Pillow's Image.MAX_IMAGE_PIXELS, the default of data.max_image_pixels.</summary>
    public const int DefaultMaxPixels = 89_478_485;

    /// <summary>
    /// Checks a declared size against <paramref name="maxPixels"/> (data.max_image_pixels): refuses non-positive sizes
    /// and sizes above 2 x <paramref name="maxPixels"/> with a SegmenterException naming the file, warns above
    /// <paramref name="maxPixels"/>. Returns the pixel count. Arithmetic is on longs (two 31-bit factors cannot
    /// overflow), so 65000 x 65000 is refused, never wrapped.
    /// </summary>
    public static long Check(long width, long height, string kind, string source, long maxPixels)
    {
        if (maxPixels < 1) throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, "must be >= 1");
        if (width <= 0 || height <= 0)
            throw new SegmenterException($"corrupt {kind} (declared size {width}x{height})", source, "re-create or re-download the file");
        if (width > int.MaxValue || height > int.MaxValue)
            throw Refuse(width, height, kind, source, pixels: null, maxPixels);
        long pixels = width * height;
        if (pixels - maxPixels > maxPixels) // pixels > 2 * max without overflow
            throw Refuse(width, height, kind, source, pixels, maxPixels);
        if (pixels > maxPixels)
            Log.Warning("{Source}: {Kind} declares {Width}x{Height} = {Pixels} pixels, above data.max_image_pixels ({Max}); " +
                        "it may be a decompression bomb (refused above {Refuse})", source, kind, width, height, pixels, maxPixels, 2.0 * maxPixels);
        return pixels;
    }

    /// <summary>Bytes of a w x h x channels buffer as an int array length, or a SegmenterException when it cannot be one array.</summary>
    public static int BufferLength(long width, long height, long channels, string kind, string source)
    {
        long n = width * height; // both checked above to be in (0, int.MaxValue]
        if (n > long.MaxValue / Math.Max(1, channels) || n * channels > Array.MaxLength)
            throw new SegmenterException($"{kind} of {width}x{height} with {channels} channels is too large for one buffer", source,
                "downscale or tile the image");
        return (int)(n * channels);
    }

    private static SegmenterException Refuse(long width, long height, string kind, string source, long? pixels, long maxPixels) =>
        new($"{kind} declares {width}x{height}{(pixels is { } p ? $" = {p:N0} pixels" : "")}, more than twice data.max_image_pixels " +
            $"({maxPixels:N0}): refused as a possible decompression bomb (Pillow's policy)", source,
            "downscale the image, or raise data.max_image_pixels if the file is trusted");
}
