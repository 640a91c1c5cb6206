using Segmenter.IO;
using Segmenter.Tests.Hostile;

namespace Segmenter.Tests.IO;

/// <summary>
/// Issue 14, images: decompression bombs are refused from the size their header declares, before any pixel buffer
/// exists (Pillow's policy: warn above data.max_image_pixels, refuse above twice it); EXIF orientation is applied to
/// photos; files are decoded by content, not by extension.
/// </summary>
public class ImageBombTests
{
    /// <summary>Managed bytes this thread allocates in <paramref name="act"/> (the decoders' buffers are managed arrays).</summary>
    private static long Allocated(Action act)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        act();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void AssertRefused(byte[] file, string name, string kind)
    {
        var path = Path.Combine(TestPaths.NewTempDir("bomb"), name);
        File.WriteAllBytes(path, file);
        Assert.True(file.Length < 2_000_000, $"the crafted bomb should be tiny, is {file.Length} bytes");
        SegmenterException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<SegmenterException>(() => ImageIO.ReadRgb(path)));
        Assert.Contains(path, e!.Message);
        Assert.Contains(kind, e.Message);
        Assert.Contains("decompression bomb", e.Message);
        Assert.Contains("data.max_image_pixels", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(bytes < 64L << 20, $"refusing {name} allocated {bytes >> 20} MB");
    }

    [Fact]
    public void Rgb_png_of_18000_squared_is_refused_before_decoding() => AssertRefused(CraftedFiles.PngBomb(18000, 18000, 2), "rgb.png", "PNG declares 18000x18000");

    [Fact]
    public void Grey_png_of_32000_squared_is_refused_before_decoding() => AssertRefused(CraftedFiles.PngBomb(32000, 32000, 0), "grey.png", "PNG declares 32000x32000");

    [Fact]
    public void Jpeg_claiming_23000_squared_is_refused_before_decoding() => AssertRefused(CraftedFiles.JpegClaiming(23000, 23000), "big.jpg", "JPEG declares 23000x23000");

    [Fact]
    public void Jpeg_claiming_65000_squared_is_refused_not_overflowed() => AssertRefused(CraftedFiles.JpegClaiming(65000, 65000), "huge.jpg", "JPEG declares 65000x65000");

    [Fact]
    public void Bmp_claiming_30000_squared_is_refused_before_decoding() =>
        AssertRefused(CraftedFiles.Bmp(CraftedFiles.Solid(4, 4, 1, 2, 3), 30000, 30000), "big.bmp", "declares 30000x30000");

    [Fact]
    public void Label_png_bomb_is_refused_too()
    {
        var path = Path.Combine(TestPaths.NewTempDir("bomb"), "label.png");
        File.WriteAllBytes(path, CraftedFiles.PngBomb(40000, 40000, 0));
        var e = Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(path));
        Assert.Contains("decompression bomb", e.Message);
    }

    [Fact]
    public void Between_the_limit_and_twice_it_is_read_with_a_warning_above_twice_refused()
    {
        var dir = TestPaths.NewTempDir("bomb");
        var ok = Path.Combine(dir, "ok.png");
        var big = Path.Combine(dir, "big.png");
        ImageIO.WritePng(ok, CraftedFiles.Solid(12, 12, 9, 9, 9));   // 144 pixels: above 100, below 200
        ImageIO.WritePng(big, CraftedFiles.Solid(15, 15, 9, 9, 9));  // 225 pixels: above 200
        Assert.Equal(12, ImageIO.ReadRgb(ok, maxPixels: 100).Width);
        Assert.Contains("decompression bomb", Assert.Throws<SegmenterException>(() => ImageIO.ReadRgb(big, maxPixels: 100)).Message);
        Assert.Equal(15, ImageIO.ReadRgb(big).Width); // the limit is the call's: without one, the default
    }

    [Fact]
    public void Zlib_bomb_behind_a_small_header_inflates_only_what_the_header_declares()
    {
        var path = Path.Combine(TestPaths.NewTempDir("bomb"), "zbomb.png");
        File.WriteAllBytes(path, CraftedFiles.PngBomb(16, 16, 0, zeroBytes: 256 << 20)); // 256 MB of zeros behind a 16x16 grey header
        RgbImage? img = null;
        long bytes = Allocated(() => img = ImageIO.ReadRgb(path));
        Assert.Equal(16, img!.Width);
        Assert.True(bytes < 16L << 20, $"decoding allocated {bytes >> 20} MB");
    }

    [Fact]
    public void Bmp_named_jpg_is_decoded_by_content()
    {
        var path = Path.Combine(TestPaths.NewTempDir("bmpjpg"), "photo.jpg");
        var img = CraftedFiles.RedLeftBlueRight(8, 6);
        File.WriteAllBytes(path, CraftedFiles.Bmp(img));
        var back = ImageIO.ReadRgb(path);
        Assert.Equal(8, back.Width);
        Assert.Equal(6, back.Height);
        Assert.Equal(img.Data, back.Data);
    }

    [Theory]
    [InlineData(1, 32, 16, 255, 0)]   // stored grid: red left, blue right
    [InlineData(3, 32, 16, 0, 255)]   // rotate 180: blue left
    [InlineData(6, 16, 32, 255, 0)]   // rotate 90 clockwise: the left (red) column becomes the top row
    [InlineData(8, 16, 32, 0, 255)]   // rotate 90 counter-clockwise: the right (blue) column becomes the top row
    public void Exif_orientation_is_applied_to_photos(int orientation, int w, int h, int topLeftRed, int bottomRightRed)
    {
        var path = Path.Combine(TestPaths.NewTempDir("exif"), $"o{orientation}.jpg");
        File.WriteAllBytes(path, CraftedFiles.WithExifOrientation(CraftedFiles.Jpeg(CraftedFiles.RedLeftBlueRight(32, 16)), (ushort)orientation));
        var img = ImageIO.ReadRgb(path);
        Assert.Equal((w, h), (img.Width, img.Height));
        Assert.InRange(img.Data[0], topLeftRed - 40, topLeftRed + 40);
        Assert.InRange(img.Data[^3], bottomRightRed - 40, bottomRightRed + 40);
    }

    [Fact]
    public void Exif_transposes_match_their_definitions()
    {
        var img = new RgbImage(3, 2, Enumerable.Range(0, 18).Select(i => (byte)i).ToArray()); // pixel (x, y) = y*3+x
        byte Px(RgbImage m, int x, int y) => (byte)(m.Data[(y * m.Width + x) * 3] / 3);
        var t = ExifOrientation.Apply(img, 5);
        Assert.Equal((2, 3), (t.Width, t.Height));
        for (int y = 0; y < 3; y++) for (int x = 0; x < 2; x++) Assert.Equal(Px(img, y, x), Px(t, x, y));
        foreach (var (a, b) in new[] { (6, 8), (8, 6), (2, 2), (3, 3), (4, 4), (5, 5), (7, 7) })
            Assert.Equal(img.Data, ExifOrientation.Apply(ExifOrientation.Apply(img, a), b).Data);
        Assert.Same(img, ExifOrientation.Apply(img, 1));
    }
}
