using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Segmenter.IO;

/// <summary>
/// JPEG decoding through the system's libjpeg-turbo (its TurboJPEG API, with SIMD), used by <see cref="SkiaImageCodec"/>
/// for JPEGs when the library loads; SkiaSharp's bundled libjpeg (built without SIMD, decoding to RGBA) is the fallback.
/// The binding assumes the TurboJPEG 2.x C API of <c>libturbojpeg.so.0</c> (Debian/Ubuntu <c>libturbojpeg0</c>;
/// checked with 2.1.5): <c>tjhandle</c> is a pointer, sizes are C <c>unsigned long</c>, the 2.x functions
/// tjInitDecompress / tjDecompressHeader3 / tjDecompress2 / tjGetErrorStr2 / tjDestroy, and turbojpeg.h's constants
/// (TJPF_RGB = 0, TJCS_CMYK = 3, TJCS_YCCK = 4, TJFLAG_ACCURATEDCT = 4096, TJFLAG_LIMITSCANS = 32768).
/// Output equals Skia's byte for byte: both are libjpeg-turbo with the accurate integer DCT (JDCT_ISLOW) and fancy
/// upsampling, whose SIMD and C versions give identical results (tests/Segmenter.Tests/IO/TurboJpegTests.cs).
/// <c>SEGMENTER_JPEG=skia</c> forces the Skia path (comparisons).
/// </summary>
public static unsafe class TurboJpeg
{
    public const string Library = "libturbojpeg.so.0";
    private const int PixelFormatRgb = 0, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    // Accurate DCT (the default, named so it matches PIL and Skia); fancy upsampling is the default (no TJFLAG_FASTUPSAMPLE).
    // LIMITSCANS refuses progressive files with absurd scan counts (a CPU-exhaustion exploit); such a file goes to Skia.
    private const int Flags = 4096 | 32768;

    private static readonly delegate* unmanaged<IntPtr> InitDecompress;
    private static readonly delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
    private static readonly delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
    private static readonly delegate* unmanaged<IntPtr, byte*> GetErrorStr2;
    private static readonly delegate* unmanaged<IntPtr, int> Destroy;

    /// <summary>True when JPEGs are decoded by libjpeg-turbo (the library loaded and SEGMENTER_JPEG is not "skia").</summary>
    public static bool Enabled { get; }

    /// <summary>The JPEG decoder in use, for reports (`segment bench --data`).</summary>
    public static string Decoder { get; }

    static TurboJpeg()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("SEGMENTER_JPEG"), "skia", StringComparison.OrdinalIgnoreCase))
        {
            Decoder = "Skia (SEGMENTER_JPEG=skia)";
            return;
        }
        try
        {
            if (NativeLibrary.TryLoad(Library, out var lib)
                && NativeLibrary.TryGetExport(lib, "tjInitDecompress", out var init)
                && NativeLibrary.TryGetExport(lib, "tjDecompressHeader3", out var header)
                && NativeLibrary.TryGetExport(lib, "tjDecompress2", out var decompress)
                && NativeLibrary.TryGetExport(lib, "tjGetErrorStr2", out var error)
                && NativeLibrary.TryGetExport(lib, "tjDestroy", out var destroy))
            {
                InitDecompress = (delegate* unmanaged<IntPtr>)init;
                DecompressHeader3 = (delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int>)header;
                Decompress2 = (delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int>)decompress;
                GetErrorStr2 = (delegate* unmanaged<IntPtr, byte*>)error;
                Destroy = (delegate* unmanaged<IntPtr, int>)destroy;
                Enabled = true;
                Decoder = $"libjpeg-turbo ({Library})";
                return;
            }
        }
        catch (Exception e) when (e is BadImageFormatException or EntryPointNotFoundException) { }
        Decoder = $"Skia ({Library} not found)";
    }

    /// <summary>One decompressor per thread, created on first use and freed when its thread's handle is collected.</summary>
    [ThreadStatic] private static DecompressorHandle? _handle;

    private sealed class DecompressorHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        public static DecompressorHandle Create()
        {
            var h = new DecompressorHandle();
            h.SetHandle(InitDecompress());
            return h;
        }

        protected override bool ReleaseHandle() => Destroy(handle) == 0;
    }

    /// <summary>The last failure's TurboJPEG message on this thread (diagnostics; failures fall back to Skia).</summary>
    [ThreadStatic] internal static string? LastError;

    /// <summary>
    /// Decodes a JPEG to RGB, or returns null (and leaves the file to Skia, which reports errors with the usual
    /// messages) when TurboJPEG is off, cannot parse or decode it without a warning, or it is CMYK/YCCK. The declared
    /// size is checked against <paramref name="maxPixels"/> (<see cref="ImageLimits.Check"/>) before the pixel buffer is allocated. EXIF orientation is NOT
    /// applied here.
    /// </summary>
    internal static RgbImage? TryDecode(byte[] bytes, string source, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (!Enabled || bytes.Length == 0) return null;
        var handle = _handle;
        if (handle is null || handle.IsInvalid)
        {
            handle = _handle = DecompressorHandle.Create();
            if (handle.IsInvalid) { LastError = "tjInitDecompress failed"; return null; }
        }
        IntPtr h = handle.DangerousGetHandle(); // the handle lives in a [ThreadStatic] for the whole call
        var size = new CULong((nuint)bytes.Length);
        fixed (byte* src = bytes)
        {
            int w, ht, subsampling, colorspace;
            if (DecompressHeader3(h, src, size, &w, &ht, &subsampling, &colorspace) != 0) return Fail(h);
            if (colorspace is ColorspaceCmyk or ColorspaceYcck) { LastError = "CMYK/YCCK JPEG"; return null; }
            ImageLimits.Check(w, ht, "JPEG", source, maxPixels);
            var rgb = new byte[ImageLimits.BufferLength(w, ht, 3, "JPEG", source)];
            fixed (byte* dst = rgb)
                if (Decompress2(h, src, size, dst, w, w * 3, ht, PixelFormatRgb, Flags) != 0) return Fail(h);
            return new RgbImage(w, ht, rgb);
        }
    }

    /// <summary>Records the error (warnings such as "premature end of data" count too) and drops this thread's decompressor.</summary>
    private static RgbImage? Fail(IntPtr h)
    {
        LastError = Marshal.PtrToStringUTF8((IntPtr)GetErrorStr2(h));
        var handle = _handle;
        _handle = null;
        handle?.Dispose();
        return null;
    }
}
