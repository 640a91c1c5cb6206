using Serilog;

namespace Segmenter.IO;

/// <summary>
/// The decompression-bomb guard every image reader applies to the size a file DECLARES (PNG IHDR, the JPEG/BMP/GIF/WebP
/// header Skia reads) before any pixel buffer is allocated. Policy follows Pillow, the most used reader of the field
/// (PIL/Image.py _decompression_bomb_check): above <see cref="MaxPixels"/> a warning, above twice that a refusal.
/// Pillow's default MAX_IMAGE_PIXELS is 89,478,485 (= 1024 * 1024 * 1024 // 4 // 3); Cityscapes frames are 2.1 M.
/// Set from the config key data.max_image_pixels when a CLI verb loads its config.
/// </summary>
public static class ImageLimits
{
    /// <summary>Pillow's Image.MAX_IMAGE_PIXELS.</summary>
    public const int DefaultMaxPixels = 89_478_485;

    private static long _maxPixels = DefaultMaxPixels;
    private static readonly AsyncLocal<long?> ScopedMax = new();

    /// <summary>Warn above this many pixels, refuse above twice as many (data.max_image_pixels).</summary>
    public static long MaxPixels
    {
        get => ScopedMax.Value ?? Interlocked.Read(ref _maxPixels);
        set => Interlocked.Exchange(ref _maxPixels, value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be >= 1"));
    }

    /// <summary>A limit for the current async flow only (tests; a library caller that reads one trusted huge image), undone on Dispose.</summary>
    public static IDisposable Scope(long maxPixels)
    {
        if (maxPixels < 1) throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, "must be >= 1");
        var previous = ScopedMax.Value;
        ScopedMax.Value = maxPixels;
        return new Restore(() => ScopedMax.Value = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>
    /// Checks a declared size: refuses non-positive sizes and sizes above 2 x <see cref="MaxPixels"/> with a
    /// SegmenterException naming the file, warns above <see cref="MaxPixels"/>. Returns the pixel count.
    /// Arithmetic is on longs (two 31-bit factors cannot overflow), so 65000 x 65000 is refused, never wrapped.
    /// </summary>
    public static long Check(long width, long height, string kind, string source)
    {
        if (width <= 0 || height <= 0)
            throw new SegmenterException($"corrupt {kind} (declared size {width}x{height})", source, "re-create or re-download the file");
        if (width > int.MaxValue || height > int.MaxValue)
            throw Refuse(width, height, kind, source, pixels: null);
        long pixels = width * height;
        long max = MaxPixels;
        if (pixels - max > max) // pixels > 2 * max without overflow
            throw Refuse(width, height, kind, source, pixels);
        if (pixels > max)
            Log.Warning("{Source}: {Kind} declares {Width}x{Height} = {Pixels} pixels, above data.max_image_pixels ({Max}); " +
                        "it may be a decompression bomb (refused above {Refuse})", source, kind, width, height, pixels, max, 2.0 * max);
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

    private static SegmenterException Refuse(long width, long height, string kind, string source, long? pixels) =>
        new($"{kind} declares {width}x{height}{(pixels is { } p ? $" = {p:N0} pixels" : "")}, more than twice data.max_image_pixels " +
            $"({MaxPixels:N0}): refused as a possible decompression bomb (Pillow's policy)", source,
            "downscale the image, or raise data.max_image_pixels if the file is trusted");
}
