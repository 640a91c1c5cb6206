using System.Runtime.InteropServices;
using Segmenter.IO;
using Segmenter.Tests.Hostile;
using Xunit.Abstractions;

namespace Segmenter.Tests.IO;

/// <summary>
/// JPEG decoding through libjpeg-turbo (<see cref="TurboJpeg"/>) gives the same RGB bytes as the Skia path it replaces,
/// for Skia's own 4:2:0 files, every chroma subsampling and grey, progressive files and the dataset photos; EXIF
/// orientation, CMYK/YCCK and every error message are as before. Where libturbojpeg.so.0 is missing (scripts/test.sh
/// installs it) the tests say so and pass.
/// </summary>
public class TurboJpegTests(ITestOutputHelper output)
{
    private bool Skip()
    {
        if (TurboJpeg.Enabled) return false;
        output.WriteLine($"SKIPPED: JPEG decoder is {TurboJpeg.Decoder}; the libjpeg-turbo path needs libturbojpeg0 (scripts/test.sh installs it) and SEGMENTER_JPEG unset");
        return true;
    }

    private static RgbImage Photo(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3, t = rng.Next(32);
                rgb[i] = (byte)Math.Clamp(128 + 90 * Math.Sin(x * 0.05 + seed) + t, 0, 255);
                rgb[i + 1] = (byte)Math.Clamp(((x ^ y) & 0x40) != 0 ? 200 - t : 40 + t, 0, 255);
                rgb[i + 2] = (byte)Math.Clamp(100 + 80 * Math.Cos(y * 0.07) - t, 0, 255);
            }
        return new RgbImage(w, h, rgb);
    }

    /// <summary>Asserts identical bytes; otherwise fails naming the max abs difference and the share of differing bytes.</summary>
    private static void AssertSame(RgbImage expected, RgbImage actual, string what)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int maxDiff = 0, differing = 0;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            int d = Math.Abs(expected.Data[i] - actual.Data[i]);
            if (d > 0) { differing++; maxDiff = Math.Max(maxDiff, d); }
        }
        Assert.True(differing == 0,
            $"{what}: libjpeg-turbo and Skia differ, max abs diff {maxDiff}, {differing} of {expected.Data.Length} bytes ({100.0 * differing / expected.Data.Length:F3} %)");
    }

    /// <summary>TurboJPEG's decode (no orientation) equals Skia's, and the codec's decode (with orientation) equals Skia's.</summary>
    private static void AssertDecodersAgree(byte[] jpeg, string what)
    {
        var skia = SkiaImageCodec.DecodeWithSkia(jpeg, what);
        var turbo = TurboJpeg.TryDecode(jpeg, what);
        Assert.True(turbo is not null, $"{what}: libjpeg-turbo did not decode it ({TurboJpeg.LastError})");
        AssertSame(skia, ImageIO.Codec.Decode(jpeg, what), what);
        if (!SkiaImageCodec.MayHaveOrientation(jpeg)) AssertSame(skia, turbo, what);
    }

    [Fact]
    public void Decoder_name_says_which_path_is_used()
    {
        output.WriteLine($"JPEG decoder: {TurboJpeg.Decoder}");
        Assert.Equal(TurboJpeg.Enabled, TurboJpeg.Decoder.StartsWith("libjpeg-turbo", StringComparison.Ordinal));
    }

    [Fact]
    public void Skia_encoded_jpegs_decode_to_identical_bytes()
    {
        if (Skip()) return;
        (int W, int H)[] sizes = [(1, 1), (2, 3), (7, 5), (16, 16), (17, 9), (33, 65), (257, 131), (500, 375), (375, 500), (640, 427)];
        int seed = 0;
        foreach (var (w, h) in sizes)
            foreach (int quality in new[] { 30, 75, 90, 95, 100 })
                AssertDecodersAgree(ImageIO.Codec.EncodeJpeg(Photo(w, h, seed++), quality), $"skia {w}x{h} q{quality}");
    }

    [Fact]
    public void Every_subsampling_grey_and_progressive_decode_to_identical_bytes()
    {
        if (Skip()) return;
        var subsamplings = new[] { (Tj.Samp444, "4:4:4"), (Tj.Samp422, "4:2:2"), (Tj.Samp420, "4:2:0"), (Tj.SampGray, "grey"), (Tj.Samp440, "4:4:0"), (Tj.Samp411, "4:1:1") };
        int seed = 100;
        foreach (var (w, h) in new[] { (31, 17), (500, 375), (129, 250) })
            foreach (var (samp, name) in subsamplings)
                foreach (bool progressive in new[] { false, true })
                    foreach (int quality in new[] { 50, 92 })
                    {
                        var jpeg = Tj.Compress(Photo(w, h, seed++), samp, quality, progressive);
                        AssertDecodersAgree(jpeg, $"turbojpeg {w}x{h} {name}{(progressive ? " progressive" : "")} q{quality}");
                    }
        // Grey decodes to R = G = B.
        var grey = ImageIO.Codec.Decode(Tj.Compress(Photo(40, 30, 7), Tj.SampGray, 90, false), "grey");
        for (int i = 0; i < grey.Data.Length; i += 3) Assert.True(grey.Data[i] == grey.Data[i + 1] && grey.Data[i] == grey.Data[i + 2]);
    }

    [Fact]
    public void Dataset_jpegs_decode_to_identical_bytes()
    {
        if (Skip()) return;
        var files = Directory.GetFiles(TestPaths.Datasets, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            AssertDecodersAgree(File.ReadAllBytes(file), file);
            AssertSame(SkiaImageCodec.DecodeWithSkia(File.ReadAllBytes(file), file), ImageIO.ReadRgb(file), file);
        }
        output.WriteLine($"{files.Length} dataset JPEGs identical");
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Exif_rotated_jpeg_decodes_upright_as_before(int orientation)
    {
        if (Skip()) return;
        var jpeg = CraftedFiles.WithExifOrientation(CraftedFiles.Jpeg(Photo(37, 21, orientation)), (ushort)orientation);
        Assert.True(SkiaImageCodec.MayHaveOrientation(jpeg));
        Assert.NotNull(TurboJpeg.TryDecode(jpeg, "exif"));
        var image = ImageIO.Codec.Decode(jpeg, "exif");
        AssertSame(SkiaImageCodec.DecodeWithSkia(jpeg, "exif"), image, $"orientation {orientation}");
        Assert.Equal(orientation >= 5 ? (21, 37) : (37, 21), (image.Width, image.Height));
    }

    [Fact]
    public void Cmyk_jpegs_are_left_to_skia()
    {
        if (Skip()) return;
        var jpeg = Tj.CompressCmyk(48, 32);
        Assert.Null(TurboJpeg.TryDecode(jpeg, "cmyk"));
        Assert.Equal("CMYK/YCCK JPEG", TurboJpeg.LastError);
        AssertSame(SkiaImageCodec.DecodeWithSkia(jpeg, "cmyk"), ImageIO.Codec.Decode(jpeg, "cmyk"), "cmyk");
    }

    /// <summary>The message the codec gives for <paramref name="bytes"/> is Skia's, or both decode to the same bytes.</summary>
    private static void AssertSameOutcome(byte[] bytes, string source)
    {
        string? skiaError = null, codecError = null;
        RgbImage? skia = null, codec = null;
        try { skia = SkiaImageCodec.DecodeWithSkia(bytes, source); } catch (SegmenterException e) { skiaError = e.Message; }
        try { codec = ImageIO.Codec.Decode(bytes, source); } catch (SegmenterException e) { codecError = e.Message; }
        Assert.Equal(skiaError, codecError);
        if (skia is not null) AssertSame(skia, codec!, source);
        if (codecError is not null) Assert.DoesNotContain('\n', codecError);
    }

    [Fact]
    public void Truncated_and_corrupt_jpegs_give_the_same_outcome_as_skia()
    {
        if (Skip()) return;
        var voc = Path.Combine(TestPaths.Datasets, "VOCdevkit", "VOC2012", "JPEGImages");
        var files = Directory.GetFiles(voc, "*.jpg").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var rng = new Random(5);
        int errors = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (int keep in new[] { 1, 3, 10, 100, bytes.Length / 3, bytes.Length / 2, bytes.Length * 9 / 10, bytes.Length - 2, bytes.Length - 1 })
            {
                var source = $"{file}[..{keep}]";
                AssertSameOutcome(bytes[..keep], source);
                try { ImageIO.Codec.Decode(bytes[..keep], source); } catch (SegmenterException e) { errors++; Assert.Contains(source, e.Message); }
            }
            // Damaged entropy data and headers: whatever Skia did (error or a decoded image), the codec does.
            for (int k = 0; k < 6; k++)
            {
                var damaged = (byte[])bytes.Clone();
                int at = k < 3 ? rng.Next(2, Math.Min(600, bytes.Length)) : rng.Next(bytes.Length / 2, bytes.Length - 2);
                for (int j = 0; j < 8 && at + j < damaged.Length - 2; j++) damaged[at + j] = (byte)rng.Next(256);
                AssertSameOutcome(damaged, $"{file} damaged at {at}");
            }
        }
        Assert.True(errors >= files.Length * 8, $"only {errors} truncated files were errors");
        // The messages the existing tests expect.
        var cut = File.ReadAllBytes(files[0]);
        Assert.Contains("truncated JPEG", Assert.Throws<SegmenterException>(() => ImageIO.Codec.Decode(cut[..(cut.Length / 2)], "cut.jpg")).Message);
    }

    [Fact]
    public void Jpeg_bomb_is_refused_from_its_header_by_turbojpeg_too()
    {
        if (Skip()) return;
        var bomb = CraftedFiles.JpegClaiming(23000, 23000);
        var e = Assert.Throws<SegmenterException>(() => TurboJpeg.TryDecode(bomb, "big.jpg"));
        Assert.Contains("JPEG declares 23000x23000", e.Message);
        Assert.Contains("decompression bomb", e.Message);
    }

    [Fact]
    public void Threads_decode_concurrently_with_their_own_decompressors()
    {
        if (Skip()) return;
        var jpegs = Enumerable.Range(0, 8).Select(i => ImageIO.Codec.EncodeJpeg(Photo(120 + i, 80 + i, i), 90)).ToArray();
        var expected = jpegs.Select(j => SkiaImageCodec.DecodeWithSkia(j, "t").Data).ToArray();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            int i = n % jpegs.Length;
            Assert.Equal(expected[i], ImageIO.Codec.Decode(jpegs[i], "t").Data);
            if (n % 5 == 0) Assert.Null(TurboJpeg.TryDecode(jpegs[i][..(jpegs[i].Length / 2)], "t")); // failure drops the thread's handle
        });
    }

    [Fact]
    public void App1_scan_stops_at_the_first_scan()
    {
        var plain = ImageIO.Codec.EncodeJpeg(Photo(8, 8, 1), 90);
        Assert.False(SkiaImageCodec.MayHaveOrientation(plain));
        Assert.True(SkiaImageCodec.MayHaveOrientation(CraftedFiles.WithExifOrientation(plain, 6)));
        Assert.True(SkiaImageCodec.MayHaveOrientation(plain[..5])); // cannot walk: ask Skia
    }

    /// <summary>Test-only TurboJPEG 2.x compressor bindings (libturbojpeg.so.0), to make files Skia's encoder cannot.</summary>
    private static class Tj
    {
        public const int Samp444 = 0, Samp422 = 1, Samp420 = 2, SampGray = 3, Samp440 = 4, Samp411 = 5;
        private const int PixelRgb = 0, PixelCmyk = 11, FlagProgressive = 16384;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr InitFn();
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int Compress2Fn(IntPtr handle, byte[] src, int width, int pitch, int height, int pixelFormat,
            ref IntPtr jpegBuf, ref CULong jpegSize, int subsampling, int quality, int flags);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void FreeFn(IntPtr buffer);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int DestroyFn(IntPtr handle);

        private static readonly IntPtr Lib = NativeLibrary.Load(TurboJpeg.Library);
        private static T Fn<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(Lib, name));
        private static readonly InitFn InitCompress = Fn<InitFn>("tjInitCompress");
        private static readonly Compress2Fn Compress2 = Fn<Compress2Fn>("tjCompress2");
        private static readonly FreeFn Free = Fn<FreeFn>("tjFree");
        private static readonly DestroyFn Destroy = Fn<DestroyFn>("tjDestroy");

        public static byte[] Compress(RgbImage image, int subsampling, int quality, bool progressive) =>
            Run(image.Data, image.Width, image.Height, image.Width * 3, PixelRgb, subsampling, quality, progressive ? FlagProgressive : 0);

        /// <summary>TurboJPEG writes CMYK input as an Adobe YCCK JPEG.</summary>
        public static byte[] CompressCmyk(int w, int h)
        {
            var cmyk = new byte[w * h * 4];
            for (int i = 0; i < cmyk.Length; i++) cmyk[i] = (byte)(i * 7 % 251);
            return Run(cmyk, w, h, w * 4, PixelCmyk, Samp444, 90, 0);
        }

        private static byte[] Run(byte[] pixels, int w, int h, int pitch, int format, int subsampling, int quality, int flags)
        {
            IntPtr handle = InitCompress();
            Assert.NotEqual(IntPtr.Zero, handle);
            IntPtr jpeg = IntPtr.Zero;
            CULong size = default;
            try
            {
                Assert.Equal(0, Compress2(handle, pixels, w, pitch, h, format, ref jpeg, ref size, subsampling, quality, flags));
                var bytes = new byte[checked((int)size.Value)];
                Marshal.Copy(jpeg, bytes, 0, bytes.Length);
                return bytes;
            }
            finally
            {
                if (jpeg != IntPtr.Zero) Free(jpeg);
                Destroy(handle);
            }
        }
    }
}
