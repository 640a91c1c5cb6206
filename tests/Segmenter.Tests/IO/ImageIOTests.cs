using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.IO;

/// <summary>Photo decoding/encoding through ImageIO (Skia for JPEG, PngCodec for PNG) and its one-line errors.</summary>
public class ImageIOTests
{
    private static string Voc => Path.Combine(TestPaths.Datasets, "VOCdevkit", "VOC2012");
    private static string Cityscapes => Path.Combine(TestPaths.Datasets, "cityscapes");

    private static RgbImage Gradient(int w, int h)
    {
        var data = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                data[p] = (byte)(x * 255 / (w - 1)); data[p + 1] = (byte)(y * 255 / (h - 1)); data[p + 2] = (byte)((x + y) * 2);
            }
        return new RgbImage(w, h, data);
    }

    private static void AssertOneLineError(Action act, string path, string expectedFragment)
    {
        var e = Assert.Throws<SegmenterException>(act);
        Assert.Contains(path, e.Message);
        Assert.Contains(expectedFragment, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotNull(e.Fix);
    }

    [Fact]
    public void Jpeg_round_trip_has_small_error()
    {
        var dir = TestPaths.NewTempDir();
        var img = Gradient(40, 30);
        var path = Path.Combine(dir, "g.jpg");
        ImageIO.WriteJpeg(path, img, 95);
        var back = ImageIO.ReadRgb(path);
        Assert.Equal((img.Width, img.Height), (back.Width, back.Height));
        double mae = img.Data.Zip(back.Data, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mae < 3.0, $"mean abs error {mae}");
        // Same input, same bytes (the synthetic dataset relies on it).
        Assert.Equal(ImageIO.Codec.EncodeJpeg(img, 90), ImageIO.Codec.EncodeJpeg(img, 90));
    }

    [Fact]
    public void Png_photo_round_trip_is_exact()
    {
        var dir = TestPaths.NewTempDir();
        var img = Gradient(17, 9);
        var path = Path.Combine(dir, "g.png");
        ImageIO.WritePng(path, img);
        Assert.Equal(img.Data, ImageIO.ReadRgb(path).Data);
        Assert.Equal(img.Data, ImageIO.Codec.Decode(File.ReadAllBytes(path), path).Data); // Skia agrees
    }

    [Fact]
    public void Shared_voc_jpegs_decode_with_label_sizes()
    {
        var jpgs = Directory.GetFiles(Path.Combine(Voc, "JPEGImages"), "*.jpg");
        Assert.NotEmpty(jpgs);
        foreach (var jpg in jpgs)
        {
            var img = ImageIO.ReadRgb(jpg);
            var label = ImageIO.ReadLabel(Path.Combine(Voc, "SegmentationClass", Path.GetFileNameWithoutExtension(jpg) + ".png"));
            Assert.Equal((label.Width, label.Height), (img.Width, img.Height));
            Assert.True(img.Data.Distinct().Count() > 16, $"{jpg} decodes to a near-constant image");
        }
    }

    [Fact]
    public void Png_photos_decode_the_same_through_PngCodec_and_Skia()
    {
        var pngs = Directory.GetFiles(Path.Combine(Cityscapes, "leftImg8bit"), "*.png", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(Cityscapes, "gtFine"), "*_color.png", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(pngs);
        foreach (var png in pngs)
        {
            var ours = ImageIO.ReadRgb(png);
            var skia = ImageIO.Codec.Decode(File.ReadAllBytes(png), png);
            Assert.Equal((skia.Width, skia.Height), (ours.Width, ours.Height));
            Assert.True(skia.Data.AsSpan().SequenceEqual(ours.Data), $"{png}: PngCodec and Skia disagree");
        }
    }

    [Fact]
    public void Missing_file_is_an_error()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "nope.jpg");
        AssertOneLineError(() => ImageIO.ReadRgb(path), path, "not found");
    }

    [Fact]
    public void Empty_file_is_an_error()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "empty.jpg");
        File.WriteAllBytes(path, []);
        AssertOneLineError(() => ImageIO.ReadRgb(path), path, "empty");
    }

    [Fact]
    public void Garbage_jpeg_is_an_error()
    {
        var dir = TestPaths.NewTempDir();
        var garbage = new byte[2000];
        new Random(1).NextBytes(garbage);
        var path = Path.Combine(dir, "garbage.jpg");
        File.WriteAllBytes(path, garbage);
        AssertOneLineError(() => ImageIO.ReadRgb(path), path, "corrupt JPEG");

        // A JPEG start marker followed by garbage: Skia sees a JPEG it cannot parse.
        garbage[0] = 0xFF; garbage[1] = 0xD8; garbage[2] = 0xFF;
        var path2 = Path.Combine(dir, "garbage2.jpg");
        File.WriteAllBytes(path2, garbage);
        AssertOneLineError(() => ImageIO.ReadRgb(path2), path2, "JPEG");
    }

    [Fact]
    public void Truncated_jpeg_is_an_error()
    {
        var dir = TestPaths.NewTempDir();
        var jpgs = Directory.GetFiles(Path.Combine(Voc, "JPEGImages"), "*.jpg");
        Assert.NotEmpty(jpgs);
        foreach (var jpg in jpgs)
        {
            var bytes = File.ReadAllBytes(jpg);
            foreach (var keep in new[] { bytes.Length / 2, bytes.Length - 2, bytes.Length * 9 / 10 })
            {
                var path = Path.Combine(dir, $"cut{keep}_{Path.GetFileName(jpg)}");
                File.WriteAllBytes(path, bytes[..keep]);
                AssertOneLineError(() => ImageIO.ReadRgb(path), path, "truncated JPEG");
            }
        }
        // Bytes after the end-of-image marker are tolerated (cameras append trailers).
        var ok = Path.Combine(dir, "trailer.jpg");
        File.WriteAllBytes(ok, [.. File.ReadAllBytes(jpgs[0]), 0, 0, 0, 1, 2, 3]);
        Assert.Equal(ImageIO.ReadRgb(jpgs[0]).Data, ImageIO.ReadRgb(ok).Data);
    }

    [Fact]
    public void Truncated_png_photo_is_an_error()
    {
        var dir = TestPaths.NewTempDir();
        var png = Directory.GetFiles(Path.Combine(Cityscapes, "leftImg8bit"), "*.png", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(png);
        var path = Path.Combine(dir, "cut.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        AssertOneLineError(() => ImageIO.ReadRgb(path), path, "truncated PNG");
    }

    [Fact]
    public void Unsupported_format_is_an_error()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "notes.tif");
        File.WriteAllText(path, "this is not an image at all, just some text that no decoder understands");
        AssertOneLineError(() => ImageIO.ReadRgb(path), path, "unsupported");
    }

    [Fact]
    public void Palette_and_grey_pngs_convert_to_rgb()
    {
        var dir = TestPaths.NewTempDir();
        var pal = Palettes.Voc();
        var label = new LabelMap(3, 2, [0, 1, 2, 15, 20, 255]);
        var p = Path.Combine(dir, "p.png");
        ImageIO.WriteLabelPng(p, label, pal);
        var rgb = ImageIO.ReadRgb(p);
        for (int i = 0; i < 6; i++)
            Assert.Equal(pal[label.Data[i]], (rgb.Data[i * 3], rgb.Data[i * 3 + 1], rgb.Data[i * 3 + 2]));
        Assert.Equal(rgb.Data, ImageIO.Codec.Decode(File.ReadAllBytes(p), p).Data);

        var l = Path.Combine(dir, "l.png");
        ImageIO.WriteLabelPng(l, label);
        var grey = ImageIO.ReadRgb(l);
        for (int i = 0; i < 6; i++) Assert.Equal(label.Data[i], grey.Data[i * 3 + 1]);
        Assert.Equal(grey.Data, ImageIO.Codec.Decode(File.ReadAllBytes(l), l).Data);
    }
}
