using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;
using Segmenter.Tests.EndToEnd;
using Segmenter.Visualization;

namespace Segmenter.Tests.Data;

public sealed class DataToolsTests
{
    [Fact]
    public void EnetWeightsFollowTheFormula()
    {
        var w = ClassWeights.Enet([750, 250, 0]);
        Assert.Equal(1 / Math.Log(1.02 + 0.75), w[0], 12);
        Assert.Equal(1 / Math.Log(1.02 + 0.25), w[1], 12);
        Assert.Equal(1 / Math.Log(1.02), w[2], 12); // absent class: the largest weight
        var (yaml, option) = ClassWeights.Format([1.5, 2.25]);
        Assert.Equal("model:\n  loss:\n    class_weight: [1.5000, 2.2500]", yaml);
        Assert.Equal("model.loss.class_weight=[1.5000,2.2500]", option);
        // The option form parses back through the config loader's overrides.
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, ["model.num_classes=2", "data.class_names=[]", option]);
        Assert.Equal([1.5, 2.25], cfg.Model.Loss.ClassWeight!);
    }

    [Fact]
    public void ColourMasksBecomeIndicesAndUnknownColoursAreNamed()
    {
        var dir = TestPaths.NewTempDir("masks");
        var voc = Palettes.Voc(256);
        // classes 0, 1, 15 and the 255 border colour
        byte[] rgb = [.. C(voc[0]), .. C(voc[1]), .. C(voc[15]), .. C(voc[255])];
        File.WriteAllBytes(Path.Combine(dir, "a.png"), PngCodec.Encode(2, 2, 3, rgb));
        var outDir = Path.Combine(dir, "out");
        Assert.Equal(1, MaskConverter.Convert(dir, outDir, MaskConverter.LoadPalette("voc"), "voc"));
        Assert.Equal(new byte[] { 0, 1, 15, 255 }, ImageIO.ReadLabel(Path.Combine(outDir, "a.png")).Data);

        var bad = Path.Combine(dir, "bad");
        Directory.CreateDirectory(bad);
        File.WriteAllBytes(Path.Combine(bad, "b.png"), PngCodec.Encode(2, 1, 3, [.. C(voc[1]), 1, 2, 3]));
        var e = Assert.Throws<SegmenterException>(() => MaskConverter.Convert(bad, outDir, MaskConverter.LoadPalette("voc"), "voc"));
        Assert.Contains("colour (1, 2, 3) at x=1, y=0 is not in the palette", e.Message);
        Assert.Contains("b.png", e.ToString());

        var file = Path.Combine(dir, "palette.txt");
        File.WriteAllText(file, "# r g b per class\n0 0 0\n1,2,3\n128 0 0\n");
        MaskConverter.Convert(bad, outDir, MaskConverter.LoadPalette(file), file);
        Assert.Equal(new byte[] { 2, 1 }, ImageIO.ReadLabel(Path.Combine(outDir, "b.png")).Data);
        File.WriteAllText(file, "0 0 0\n1 2\n");
        Assert.Contains("palette entry 2", Assert.Throws<SegmenterException>(() => MaskConverter.LoadPalette(file)).Message);
    }

    [Fact]
    public void CityscapesPaletteMapsBlackToIgnore()
    {
        var p = MaskConverter.LoadPalette("cityscapes");
        var lookup = MaskConverter.Lookup(p, "cityscapes");
        var img = new RgbImage(2, 1, [128, 64, 128, 0, 0, 0]);
        Assert.Equal(new byte[] { 0, 255 }, MaskConverter.ToIndices(img, lookup, "x").Data);
    }

    [Fact]
    public void BrowseWritesGridsBeforeAndAfterThePipeline()
    {
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, [$"data.root={SynthData.VocRoot}"]);
        var dir = TestPaths.NewTempDir("browse");
        var before = DataBrowser.Write(cfg, train: true, afterPipeline: false, Path.Combine(dir, "before"), count: 5, cols: 2, tile: 64);
        Assert.Equal(2, before.Count); // 4 per grid
        var g = PngCodec.Decode(before[0]);
        Assert.Equal(64 * 2 + 4, g.Width);             // two 64-px tiles and a 4-px gap (synthetic images are not all square)
        Assert.InRange(g.Height, 2 * 32 + 4, 64 * 2 + 4);
        var after = DataBrowser.Write(cfg, train: true, afterPipeline: true, Path.Combine(dir, "after"), count: 2, cols: 2, tile: 64);
        Assert.Single(after);
        // The same seed gives the same pictures.
        var again = DataBrowser.Write(cfg, train: true, afterPipeline: true, Path.Combine(dir, "again"), count: 2, cols: 2, tile: 64);
        Assert.Equal(File.ReadAllBytes(after[0]), File.ReadAllBytes(again[0]));
    }

    [Fact]
    public void DenormalizeInvertsTheNormalisation()
    {
        double[] mean = [123.675, 116.28, 103.53], std = [58.395, 57.12, 57.375];
        var rgb = new byte[] { 10, 20, 30, 200, 100, 50 };
        var chw = ImageOps.ResizeBilinearWindowToChw(new RgbImage(2, 1, rgb), 2, 1, 0, 0, 1, 2, 1, 2);
        ImageOps.NormalizeInPlace(chw, mean, std);
        Assert.Equal(rgb, DataBrowser.Denormalize(chw.Data, 1, 2, mean, std).Data);
    }

    private static byte[] C((byte R, byte G, byte B) c) => [c.R, c.G, c.B];
}
