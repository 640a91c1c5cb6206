using System.Runtime.InteropServices;
using SkiaSharp;

namespace Segmenter.IO;

/// <summary>
/// <see cref="IImageCodec"/> on SkiaSharp. Decodes to RGBA8888/unpremul with NO destination colour space, so Skia
/// applies no colour management (embedded ICC profiles are ignored, as PIL and OpenCV do) and pixel values are the
/// decoder's raw output. The EXIF orientation of a photo is applied (as OpenCV's imread does), see <see cref="ExifOrientation"/>.
/// Complete JPEGs are decoded by libjpeg-turbo (<see cref="TurboJpeg"/>, straight to RGB, same bytes) when it loads; every
/// file it does not decode cleanly comes here, so errors and their messages are Skia's.
/// </summary>
public sealed class SkiaImageCodec : IImageCodec
{
    public RgbImage Decode(byte[] bytes, string source, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        // A JPEG without its end-of-image marker goes to Skia, which names how it is truncated.
        if (TurboJpeg.Enabled && IsJpeg(bytes) && HasEndOfImage(bytes) && TurboJpeg.TryDecode(bytes, source, maxPixels) is { } image)
        {
            if (!MayHaveOrientation(bytes)) return image;
            // Skia reads the orientation from the EXIF APP1 segment (SKCodec.Create parses headers only).
            using var stream = new MemoryStream(bytes, writable: false);
            using var codec = SKCodec.Create(stream);
            if (codec is not null) return ExifOrientation.Apply(image, (int)codec.EncodedOrigin);
        }
        return DecodeWithSkia(bytes, source, maxPixels);
    }

    /// <summary>The Skia decode (every format Skia reads; JPEGs when libjpeg-turbo is off or fails).</summary>
    internal static RgbImage DecodeWithSkia(byte[] bytes, string source, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        bool isJpeg = IsJpeg(bytes);
        string kind = isJpeg ? "JPEG" : "image";
        if (bytes.Length == 0) throw new SegmenterException("empty file (0 bytes)", source, "re-create or re-download the file");

        using var stream = new MemoryStream(bytes, writable: false);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
        {
            if (isJpeg && created == SKCodecResult.IncompleteInput)
                throw new SegmenterException("truncated JPEG (file ends inside the header)", source, "re-create or re-download the file");
            if (isJpeg)
                throw new SegmenterException($"corrupt JPEG (decoder says {created})", source, "re-create or re-download the file");
            if (Path.GetExtension(source).ToLowerInvariant() is ".jpg" or ".jpeg")
                throw new SegmenterException("corrupt JPEG (does not start with the FFD8 start-of-image marker, nor is it another known image format)",
                    source, "re-create or re-download the file");
            throw new SegmenterException($"unsupported or corrupt image format (decoder says {created})", source,
                "convert the image to JPEG or PNG");
        }
        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg) { isJpeg = true; kind = "JPEG"; }

        var info = codec.Info;
        int w = info.Width, h = info.Height;
        if (!isJpeg) kind = codec.EncodedFormat.ToString().ToUpperInvariant();
        // Skia has only parsed the header so far: check the declared size before allocating (decompression bombs).
        ImageLimits.Check(w, h, kind, source, maxPixels);
        var dst = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul); // ColorSpace null: no colour transform
        var rgba = new byte[ImageLimits.BufferLength(w, h, 4, kind, source)];
        SKCodecResult result;
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try { result = codec.GetPixels(dst, handle.AddrOfPinnedObject()); }
        finally { handle.Free(); }

        switch (result)
        {
            case SKCodecResult.Success: break;
            case SKCodecResult.IncompleteInput:
                throw new SegmenterException($"truncated {kind} (image data ends early)", source, "re-create or re-download the file");
            case SKCodecResult.ErrorInInput:
            case SKCodecResult.InvalidInput:
                throw new SegmenterException($"corrupt {kind} (decoder says {result})", source, "re-create or re-download the file");
            default:
                throw new SegmenterException($"cannot decode {kind} (decoder says {result})", source, "convert the image to 8-bit RGB JPEG or PNG");
        }
        // libjpeg may pad a cut file with grey and still report success; a complete JPEG ends its last scan with EOI.
        if (isJpeg && !HasEndOfImage(bytes))
            throw new SegmenterException("truncated JPEG (no end-of-image marker after the last scan)", source, "re-create or re-download the file");

        var rgb = new byte[ImageLimits.BufferLength(w, h, 3, kind, source)];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = rgba[j]; rgb[i + 1] = rgba[j + 1]; rgb[i + 2] = rgba[j + 2];
        }
        // Photos are shown upright by every viewer, and OpenCV's imread (mmseg's loader) applies the EXIF orientation
        // too, so the pixel grid the model sees is the upright one. Label maps never pass through here.
        return ExifOrientation.Apply(new RgbImage(w, h, rgb), (int)codec.EncodedOrigin);
    }

    public byte[] EncodeJpeg(RgbImage image, int quality)
    {
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality must be 1..100");
        if (image.Width <= 0 || image.Height <= 0 || image.Data.Length != image.Width * image.Height * 3)
            throw new ArgumentException($"RGB image {image.Width}x{image.Height} has {image.Data.Length} bytes, expected {image.Width * image.Height * 3}");
        var rgba = new byte[image.Width * image.Height * 4];
        for (int i = 0, j = 0; i < image.Data.Length; i += 3, j += 4)
        {
            rgba[j] = image.Data[i]; rgba[j + 1] = image.Data[i + 1]; rgba[j + 2] = image.Data[i + 2]; rgba[j + 3] = 255;
        }
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), image.Width * 4);
            var options = new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore);
            using var data = pixmap.Encode(options)
                ?? throw new InvalidOperationException("Skia failed to encode the JPEG");
            return data.ToArray();
        }
        finally { handle.Free(); }
    }

    /// <summary>
    /// False when the JPEG's header segments (up to the first start-of-scan) hold no APP1 (EXIF/XMP) segment, so it
    /// carries no EXIF orientation; true when one is there or the segments cannot be walked (then Skia is asked).
    /// </summary>
    internal static bool MayHaveOrientation(ReadOnlySpan<byte> b)
    {
        int i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF) return true;
            byte marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker == 0xDA) return false;     // start of scan: no APP1 before it
            if (marker == 0xE1) return true;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD9)) { i += 2; continue; } // markers without a length
            i += 2 + ((b[i + 2] << 8) | b[i + 3]);
        }
        return true;
    }

    internal static bool IsJpeg(ReadOnlySpan<byte> b) => b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;

    /// <summary>
    /// True when an EOI marker (FFD9) follows the last start-of-scan (FFDA). Entropy-coded data never holds an
    /// unstuffed FF followed by D9/DA, so this is exact for baseline and progressive files; bytes after EOI are allowed.
    /// </summary>
    internal static bool HasEndOfImage(ReadOnlySpan<byte> b)
    {
        int lastSos = -1;
        for (int i = b.Length - 2; i >= 0; i--)
            if (b[i] == 0xFF && b[i + 1] == 0xDA) { lastSos = i; break; }
        if (lastSos < 0) return false;
        return b[(lastSos + 2)..].IndexOf([(byte)0xFF, (byte)0xD9]) >= 0;
    }
}
