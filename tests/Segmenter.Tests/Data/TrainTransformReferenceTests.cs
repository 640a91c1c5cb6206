using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// The whole train and test pipelines after the speed work of issue #17 (index maps instead of resizing the whole label,
/// cat_max_ratio counted on the source, planar image with SIMD steps) give the same bits, image and label, as the
/// pipelines before it (<see cref="ReferencePipeline"/>): enlarging and shrinking, crops larger than the image (padding),
/// cat_max_ratio on and off, flips and every photometric branch.
/// </summary>
public sealed class TrainTransformReferenceTests
{
    [Fact]
    public void TrainPipelineGivesTheSameBitsAsBefore()
    {
        var rng = new Random(17);
        var d = DataTestKit.SmallPipeline(new DataConfig());
        for (int trial = 0; trial < 120; trial++)
        {
            int w = 8 + rng.Next(90), h = 8 + rng.Next(70);
            var p = d.TrainPipeline with
            {
                Scale = [16 + rng.Next(150), 8 + rng.Next(100)],
                RatioRange = rng.Next(4) == 0 ? [] : [0.5, 2.0],
                CropSize = [4 + rng.Next(80), 4 + rng.Next(80)],
                CatMaxRatio = rng.Next(3) == 0 ? 1.0 : 0.75,
                FlipProb = 0.5,
                PhotoMetricDistortion = rng.Next(5) != 0,
            };
            var sample = new Sample("s", DataTestKit.Image(w, h, trial), Blobs(w, h, rng), "", "");
            var fast = new TrainTransform(p, d).Apply(sample, new Random(trial));
            var expected = ReferencePipeline.Train(p, d, sample, new Random(trial));
            Assert.Equal((expected.Height, expected.Width), (fast.Height, fast.Width));
            Assert.Equal(expected.Label, fast.Label);
            ReferencePipeline.AssertSameBits(expected.Image, fast.Image, $"trial {trial}");
        }
    }

    [Fact]
    public void TestPipelineGivesTheSameBitsAsBefore()
    {
        var d = DataTestKit.SmallPipeline(new DataConfig());
        foreach (var (w, h, scale) in new[] { (60, 40, (int[]?)[64, 32]), (23, 57, [300, 200]), (31, 17, null) })
        {
            var cfg = d with { TestPipeline = new TestPipelineConfig { Scale = scale?.ToList() } };
            var image = DataTestKit.Image(w, h, w);
            var fast = new TestTransform(cfg).Apply(new Sample("t", image, DataTestKit.Label(w, h, 3), "", ""));
            ReferencePipeline.AssertSameBits(ReferencePipeline.Test(cfg, image), fast.Image, $"{w}x{h}");
        }
    }

    /// <summary>A few rectangles of classes 1..4 and some ignore pixels on background 0, so cat_max_ratio rejects some crops.</summary>
    private static LabelMap Blobs(int w, int h, Random rng)
    {
        var data = new byte[w * h];
        for (int k = 0; k < rng.Next(4); k++)
        {
            int x0 = rng.Next(w), y0 = rng.Next(h), x1 = Math.Min(w, x0 + 1 + rng.Next(w)), y1 = Math.Min(h, y0 + 1 + rng.Next(h));
            byte cls = k == 3 ? (byte)255 : (byte)(1 + rng.Next(4));
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) data[y * w + x] = cls;
        }
        return new LabelMap(w, h, data);
    }
}
