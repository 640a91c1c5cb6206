using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

public class TransformTests
{
    private static readonly DataConfig Cfg = DataTestKit.SmallPipeline(new DataConfig());

    private static Sample MakeSample(int w = 60, int h = 40, int classes = 5, int seed = 1) =>
        new("s", DataTestKit.Image(w, h, seed), DataTestKit.Label(w, h, classes), "", "");

    private static TrainTransform Train(Func<TrainPipelineConfig, TrainPipelineConfig>? edit = null)
    {
        var p = edit is null ? Cfg.TrainPipeline : edit(Cfg.TrainPipeline);
        return new TrainTransform(p, Cfg);
    }

    [Fact]
    public void SameSeedSameOutputDifferentSeedDifferentOutput()
    {
        var t = Train();
        var s = MakeSample();
        var a = t.Apply(s, new Random(5));
        var b = t.Apply(s, new Random(5));
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Label, b.Label);
        bool anyDifferent = Enumerable.Range(6, 5).Any(seed => !t.Apply(s, new Random(seed)).Image.SequenceEqual(a.Image));
        Assert.True(anyDifferent);
    }

    [Fact]
    public void OutputIsCropSizeAndLabelKeepsOnlyInputValues()
    {
        var t = Train();
        var s = MakeSample(classes: 7);
        var allowed = s.Label.Data.ToHashSet();
        allowed.Add(255);
        for (int seed = 0; seed < 20; seed++)
        {
            var o = t.Apply(s, new Random(seed));
            Assert.Equal((32, 32), (o.Height, o.Width));
            Assert.Equal(3 * 32 * 32, o.Image.Length);
            Assert.Equal(32 * 32, o.Label.Length);
            Assert.All(o.Label.Distinct(), v => Assert.Contains(v, allowed));
            Assert.Equal((40, 60), (o.OrigHeight, o.OrigWidth));
        }
    }

    [Fact]
    public void PadFillsImageZeroAndLabel255()
    {
        // A 10x6 image, scale box 20x12 at ratio 1 -> 20x12 image, padded to a 16x32 crop.
        var t = new TrainTransform(new TrainPipelineConfig
        {
            Scale = [20, 12], RatioRange = [1.0, 1.0], CropSize = [16, 32], CatMaxRatio = 1.0, FlipProb = 0, PhotoMetricDistortion = false,
        }, Cfg);
        var s = new Sample("p", DataTestKit.Image(10, 6, 2), new LabelMap(10, 6, Enumerable.Repeat((byte)3, 60).ToArray()), "", "");
        var o = t.Apply(s, new Random(0));
        Assert.Equal((16, 32), (o.Height, o.Width));
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 32; x++)
            {
                bool inside = y < 12 && x < 20;
                Assert.Equal(inside ? (byte)3 : (byte)255, o.Label[y * 32 + x]);
                if (!inside)
                    for (int c = 0; c < 3; c++) Assert.Equal(0f, o.Image[c * 16 * 32 + y * 32 + x]);
            }
    }

    [Fact]
    public void FlipMirrorsImageAndLabelTogether()
    {
        var p = new TrainPipelineConfig { Scale = [60, 40], RatioRange = [1.0, 1.0], CropSize = [40, 60], CatMaxRatio = 1.0, PhotoMetricDistortion = false };
        var s = MakeSample();
        var plain = new TrainTransform(p with { FlipProb = 0 }, Cfg).Apply(s, new Random(1));
        var flipped = new TrainTransform(p with { FlipProb = 1 }, Cfg).Apply(s, new Random(1));
        int h = 40, w = 60;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                Assert.Equal(plain.Label[y * w + x], flipped.Label[y * w + (w - 1 - x)]);
                for (int c = 0; c < 3; c++) Assert.Equal(plain.Image[(c * h + y) * w + x], flipped.Image[(c * h + y) * w + (w - 1 - x)]);
            }
        // Identity geometry: the unflipped label equals the input.
        Assert.Equal(s.Label.Data, plain.Label);
    }

    [Fact]
    public void CropRespectsCatMaxRatio()
    {
        // 64x64: left 48 columns class 1, right 16 columns class 2. A 32x32 crop is accepted only if it holds both
        // classes with the larger below 75%, i.e. its left edge x0 lies in 25..32.
        var data = new byte[64 * 64];
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) data[y * 64 + x] = x < 48 ? (byte)1 : (byte)2;
        var s = new Sample("c", DataTestKit.Image(64, 64, 3), new LabelMap(64, 64, data), "", "");
        var t = new TrainTransform(new TrainPipelineConfig
        {
            Scale = [64, 64], RatioRange = [1.0, 1.0], CropSize = [32, 32], CatMaxRatio = 0.75, FlipProb = 0, PhotoMetricDistortion = false,
        }, Cfg);
        int accepted = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var o = t.Apply(s, new Random(seed));
            int twos = o.Label.Count(v => v == 2);
            double share = Math.Max(twos, 1024 - twos) / 1024.0;
            if (share < 0.75 && twos > 0) accepted++;
        }
        // Without the check, P(x0 in 25..32) = 8/33 per crop; with up to 10 retries ~94% of crops are accepted.
        Assert.True(accepted > 160, $"accepted {accepted}/200");
        var noCheck = new TrainTransform(new TrainPipelineConfig
        {
            Scale = [64, 64], RatioRange = [1.0, 1.0], CropSize = [32, 32], CatMaxRatio = 1.0, FlipProb = 0, PhotoMetricDistortion = false,
        }, Cfg);
        int acceptedNoCheck = Enumerable.Range(0, 200).Count(seed =>
        {
            var o = noCheck.Apply(s, new Random(seed));
            int twos = o.Label.Count(v => v == 2);
            return twos > 0 && Math.Max(twos, 1024 - twos) / 1024.0 < 0.75;
        });
        Assert.True(acceptedNoCheck < 100, $"without the check {acceptedNoCheck}/200");
    }

    [Theory]
    [InlineData(60, 40)]
    [InlineData(40, 90)]
    [InlineData(200, 20)]
    public void ResizeKeepsRatioWithinTheBox(int w, int h)
    {
        foreach (var (lng, sht) in new[] { (64, 32), (2048, 512), (10, 10) })
        {
            var (nh, nw) = ImageOps.RescaleSize(h, w, lng, sht);
            Assert.True(Math.Max(nh, nw) <= lng + 0.5 && Math.Min(nh, nw) <= sht + 0.5);
            Assert.True(Math.Max(nh, nw) >= lng - 1 || Math.Min(nh, nw) >= sht - 1, "one edge reaches its bound");
            Assert.InRange((double)nw / nh, (double)w / h * 0.9 - 0.1, (double)w / h * 1.1 + 0.1);
        }
    }

    [Fact]
    public void RandomScaleStaysInRatioRange()
    {
        // No crop limit (crop larger than anything) and a uniform label: the unpadded region is the resized image.
        var t = new TrainTransform(new TrainPipelineConfig
        {
            Scale = [64, 32], RatioRange = [0.5, 2.0], CropSize = [200, 200], CatMaxRatio = 1.0, FlipProb = 0, PhotoMetricDistortion = false,
        }, Cfg);
        var s = new Sample("r", DataTestKit.Image(60, 40, 1), new LabelMap(60, 40, new byte[2400]), "", "");
        var sizes = new HashSet<(int, int)>();
        for (int seed = 0; seed < 30; seed++)
        {
            var o = t.Apply(s, new Random(seed));
            int rows = Enumerable.Range(0, 200).Count(y => o.Label[y * 200] == 0);
            int cols = Enumerable.Range(0, 200).Count(x => o.Label[x] == 0);
            Assert.InRange(cols, 23, 97); // 60x40 fits (64r, 32r) at factor 0.8r, r in [0.5, 2]
            Assert.InRange(rows, 15, 65);
            Assert.InRange((double)cols / rows, 1.4, 1.6);
            sizes.Add((rows, cols));
        }
        Assert.True(sizes.Count > 5);
    }

    [Fact]
    public void NearestResizeNeverBlendsLabels()
    {
        var label = DataTestKit.Label(17, 11, 9);
        foreach (var (w, h) in new[] { (40, 25), (5, 3), (17, 30) })
        {
            var r = ImageOps.ResizeNearest(label.Data, 17, 11, w, h);
            Assert.Subset(label.Data.ToHashSet(), r.ToHashSet());
        }
    }

    [Fact]
    public void BilinearResizeOfConstantImageIsConstantAndIdentityIsExact()
    {
        var flat = new RgbImage(7, 5, Enumerable.Repeat((byte)77, 105).ToArray());
        Assert.All(Window(ImageOps.ResizeBilinearWindowToChw(flat, 20, 13, 0, 0, 13, 20, 13, 20)), v => Assert.Equal(77f, v, 3));
        var img = DataTestKit.Image(7, 5, 1);
        var identity = ImageOps.ResizeBilinearWindowToChw(img, 7, 5, 0, 0, 5, 7, 5, 7);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 7; x++) for (int c = 0; c < 3; c++)
            Assert.Equal(img[y, x, c], identity.Row(c, y)[x]);
        // A window equals the same region of the full resize; the planes' padding is 0.
        var full = ImageOps.ResizeBilinearWindowToChw(img, 19, 12, 0, 0, 12, 19, 12, 19);
        var win = ImageOps.ResizeBilinearWindowToChw(img, 19, 12, 3, 4, 6, 8, 7, 10);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 8; x++) for (int c = 0; c < 3; c++)
            Assert.Equal(full.Row(c, 3 + y)[4 + x], win.Row(c, y)[x]);
        Assert.Equal(3 * 7 * 10 - 3 * 6 * 8, win.Data.Count(v => v == 0f));
    }

    private static IEnumerable<float> Window(ChwImage image) =>
        Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, image.Height).SelectMany(y => image.Row(c, y).ToArray()));

    [Fact]
    public void PhotoMetricDistortionStaysInRangeAndVaries()
    {
        var baseImg = ImageOps.ResizeBilinearWindowToChw(DataTestKit.Image(16, 16, 4), 16, 16, 0, 0, 16, 16, 16, 16).Data;
        int changed = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var x = new ChwImage((float[])baseImg.Clone(), 16, 16, 16, 16);
            PhotoMetricDistortion.Apply(x, new Random(seed));
            Assert.All(x.Data, v => Assert.InRange(v, 0f, 255f));
            if (!x.Data.SequenceEqual(baseImg)) changed++;
        }
        Assert.True(changed >= 15);
    }

    [Fact]
    public void TestTransformResizesImageKeepsOriginalLabel()
    {
        var s = MakeSample(w: 60, h: 40);
        var o = new TestTransform(Cfg).Apply(s);
        Assert.Equal((32, 48), (o.Height, o.Width)); // fits 64x32 box: factor min(64/60, 32/40) = 0.8
        Assert.Equal(3 * 32 * 48, o.Image.Length);
        Assert.Equal((40, 60), (o.OrigHeight, o.OrigWidth));
        Assert.Equal(s.Label.Data, o.Label);
        var none = new TestTransform(Cfg with { TestPipeline = new TestPipelineConfig { Scale = null } }).Apply(s);
        Assert.Equal((40, 60), (none.Height, none.Width));
        // Normalize: first pixel, channel 0.
        Assert.Equal((s.Image[0, 0, 0] - 123.675f) / 58.395f, none.Image[0], 4);
    }
}
