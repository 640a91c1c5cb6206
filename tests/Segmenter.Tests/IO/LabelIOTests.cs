using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.IO;

/// <summary>Label PNGs read as class indices: VOC palette PNGs, SBD-aug L PNGs, Cityscapes id maps.</summary>
public class LabelIOTests
{
    private static string Voc => Path.Combine(TestPaths.Datasets, "VOCdevkit", "VOC2012");
    private static string Cityscapes => Path.Combine(TestPaths.Datasets, "cityscapes");

    private static string[] VocLabels()
    {
        var files = Directory.GetFiles(Path.Combine(Voc, "SegmentationClass"), "*.png");
        Assert.NotEmpty(files);
        return files;
    }

    [Fact]
    public void Label_png_round_trip_L_and_P()
    {
        var dir = TestPaths.NewTempDir();
        var rng = new Random(3);
        var data = new byte[13 * 7];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(rng.Next(22) == 21 ? 255 : rng.Next(21));
        var label = new LabelMap(13, 7, data);

        var l = Path.Combine(dir, "l.png");
        ImageIO.WriteLabelPng(l, label);
        Assert.Equal(data, ImageIO.ReadLabel(l).Data);
        Assert.Equal(PngCodec.ColorType.Gray, PngCodec.Decode(l).Color);

        var p = Path.Combine(dir, "p.png");
        ImageIO.WriteLabelPng(p, label, Palettes.Voc());
        var back = ImageIO.ReadLabel(p);
        Assert.Equal((13, 7), (back.Width, back.Height));
        Assert.Equal(data, back.Data);
        var png = PngCodec.Decode(p);
        Assert.Equal(PngCodec.ColorType.Palette, png.Color);
        Assert.Equal(PaletteBytes(Palettes.Voc()), png.Palette);
    }

    [Fact]
    public void Shared_voc_labels_read_as_indices()
    {
        foreach (var file in VocLabels())
        {
            var cls = ImageIO.ReadLabel(file);
            Assert.True(cls.Data.All(v => v <= 20 || v == 255), $"{file}: values {string.Join(",", cls.Data.Distinct().Order())}");
            Assert.Contains((byte)255, cls.Data); // real VOC labels have a void band
            Assert.Contains(cls.Data, v => v is > 0 and <= 20);

            var augFile = Path.Combine(Voc, "SegmentationClassAug", Path.GetFileName(file));
            var aug = ImageIO.ReadLabel(augFile);
            Assert.Equal((cls.Width, cls.Height), (aug.Width, aug.Height));
            Assert.True(aug.Data.All(v => v <= 20), $"{augFile}: values {string.Join(",", aug.Data.Distinct().Order())}");
            int differ = Enumerable.Range(0, cls.Data.Length).Count(i => cls.Data[i] != 255 && cls.Data[i] != aug.Data[i]);
            Assert.True(differ == 0, $"{augFile}: {differ} pixels differ from SegmentationClass outside its void band");
        }
    }

    [Fact]
    public void Shared_voc_palette_is_the_voc_colour_map()
    {
        var expected = PaletteBytes(Palettes.Voc());
        foreach (var file in VocLabels())
        {
            var png = PngCodec.Decode(file);
            Assert.Equal(PngCodec.ColorType.Palette, png.Color);
            Assert.Equal(expected, png.Palette);
        }
        Assert.Equal(((byte)224, (byte)224, (byte)192), Palettes.Voc()[255]);
    }

    [Fact]
    public void Palette_indices_map_to_the_colours_Skia_decodes()
    {
        var pal = Palettes.Voc();
        foreach (var file in VocLabels())
        {
            var idx = ImageIO.ReadLabel(file);
            var rgb = ImageIO.Codec.Decode(File.ReadAllBytes(file), file);
            int bad = 0;
            for (int i = 0; i < idx.Data.Length; i++)
                if (pal[idx.Data[i]] != (rgb.Data[i * 3], rgb.Data[i * 3 + 1], rgb.Data[i * 3 + 2])) bad++;
            Assert.True(bad == 0, $"{file}: {bad} pixels where palette[index] differs from Skia's colour decode");
        }
    }

    [Fact]
    public void Rgb_colour_mask_is_rejected_in_one_line()
    {
        var color = Directory.GetFiles(Path.Combine(Cityscapes, "gtFine"), "*_color.png", SearchOption.AllDirectories);
        Assert.NotEmpty(color);
        var e = Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(color[0]));
        Assert.Contains(color[0], e.Message);
        Assert.Contains("colour", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        var dir = TestPaths.NewTempDir();
        var rgbMask = Path.Combine(dir, "mask.png");
        ImageIO.WritePng(rgbMask, new RgbImage(2, 2, [128, 0, 0, 0, 0, 0, 0, 128, 0, 128, 0, 0]));
        Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(rgbMask));
    }

    [Fact]
    public void Cityscapes_id_maps_are_consistent()
    {
        var labelIds = Directory.GetFiles(Path.Combine(Cityscapes, "gtFine"), "*_labelIds.png", SearchOption.AllDirectories);
        Assert.NotEmpty(labelIds);
        var palette = Palettes.Cityscapes();
        foreach (var file in labelIds)
        {
            var ids = ImageIO.ReadLabel(file);
            Assert.True(ids.Data.All(v => v <= 33), $"{file}: labelIds {string.Join(",", ids.Data.Distinct().Order())}");

            var trainIds = ImageIO.ReadLabel(file.Replace("_labelIds.png", "_labelTrainIds.png"));
            Assert.True(trainIds.Data.All(v => v < 19 || v == 255), "trainIds outside 0..18, 255");

            // 16-bit instance ids: ReadLabel refuses, ReadIdMap reads; v < 1000 is a plain labelId, else labelId*1000+k.
            var instFile = file.Replace("_labelIds.png", "_instanceIds.png");
            var e = Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(instFile));
            Assert.Contains("16-bit", e.Message);
            var (w, h, inst) = ImageIO.ReadIdMap(instFile);
            Assert.Equal((ids.Width, ids.Height), (w, h));
            Assert.Contains(inst, v => v >= 1000);
            int badInst = Enumerable.Range(0, inst.Length).Count(i => ids.Data[i] != (inst[i] < 1000 ? inst[i] : inst[i] / 1000));
            Assert.True(badInst == 0, $"{instFile}: {badInst} pixels whose instance id does not match the labelId");

            // The colour PNG shows the trainId colour wherever the pixel is evaluated.
            var color = ImageIO.ReadRgb(file.Replace("_labelIds.png", "_color.png"));
            int badColour = Enumerable.Range(0, trainIds.Data.Length).Count(i =>
                trainIds.Data[i] < 19 && palette[trainIds.Data[i]] != (color.Data[i * 3], color.Data[i * 3 + 1], color.Data[i * 3 + 2]));
            Assert.True(badColour == 0, $"{file}: {badColour} evaluated pixels whose colour is not the trainId colour");
        }
    }

    [Fact]
    public void Truncated_label_png_is_an_error()
    {
        var file = VocLabels()[0];
        var bytes = File.ReadAllBytes(file);
        var dir = TestPaths.NewTempDir();
        foreach (var keep in new[] { 20, bytes.Length / 2, bytes.Length - 6 })
        {
            var cut = Path.Combine(dir, $"cut{keep}.png");
            File.WriteAllBytes(cut, bytes[..keep]);
            var e = Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(cut));
            Assert.Contains(cut, e.Message);
            Assert.Contains("truncated PNG", e.Message);
        }
        var missing = Path.Combine(dir, "missing.png");
        Assert.Contains("not found", Assert.Throws<SegmenterException>(() => ImageIO.ReadLabel(missing)).Message);
    }

    [Fact]
    public void Palettes_match_the_reference_tables()
    {
        var voc = Palettes.Voc(21);
        Assert.Equal(((byte)0, (byte)0, (byte)0), voc[0]);
        Assert.Equal(((byte)128, (byte)0, (byte)0), voc[1]);
        Assert.Equal(((byte)192, (byte)128, (byte)128), voc[15]);
        Assert.Equal(((byte)0, (byte)64, (byte)128), voc[20]);
        Assert.Equal(21, Palettes.VocClassNames.Count);
        Assert.Equal("tvmonitor", Palettes.VocClassNames[20]);
        Assert.Equal(19, Palettes.Cityscapes().Length);
        Assert.Equal(((byte)119, (byte)11, (byte)32), Palettes.Cityscapes()[18]);

        Assert.Equal(Palettes.Voc(), Palettes.FromConfig([], 21));
        var custom = Palettes.FromConfig([[1, 2, 3], [4, 5, 6]], 2);
        Assert.Equal(256, custom.Length);
        Assert.Equal(((byte)4, (byte)5, (byte)6), custom[1]);
        Assert.Equal(((byte)224, (byte)224, (byte)192), custom[255]);
        Assert.Throws<SegmenterException>(() => Palettes.FromConfig([[1, 2, 3]], 2));
        Assert.Throws<SegmenterException>(() => Palettes.FromConfig([[1, 2, 300], [0, 0, 0]], 2));
    }

    private static byte[] PaletteBytes((byte R, byte G, byte B)[] pal) => pal.SelectMany(c => new[] { c.R, c.G, c.B }).ToArray();
}
