using Segmenter.Tests.Data;
using Segmenter.Data;
using Segmenter.Evaluation;
using static TorchSharp.torch;

namespace Segmenter.Tests.Evaluation;

/// <summary>GT → targets → post-processing of "perfect heads" (the targets themselves) must give PQ = 1.</summary>
public class PanopticRoundTripTests
{
    /// <summary>Runs the round trip for one image and returns its panoptic quality counts.</summary>
    public static PanopticResult RoundTrip(PanopticClassMap classes, PanopticGroundTruth gt, IReadOnlyList<PanopticSegment> gtSegments, int labelDivisor = 1000)
    {
        // Crowd pixels become "no class" in the perfect semantic map (deeplab2 style), so they stay VOID in the prediction.
        var t = PanopticTargets.Generate(gt, new PanopticTargetOptions { IgnoreCrowdInSemantic = true });
        var semantic = t.Semantic.Select(b => b == 255 ? -1 : (int)b).ToArray();
        using var center = tensor(t.Center, [1, t.Height, t.Width]);
        using var offset = tensor(t.OffsetY.Concat(t.OffsetX).ToArray(), [2, t.Height, t.Width]);
        var post = new PanopticPostProcessor(classes.IsThing, new PanopticPostProcessOptions { StuffArea = 0, LabelDivisor = labelDivisor });
        var pred = post.Process(semantic, center, offset);
        var (map, segs) = pred.ToCocoFormat(classes);
        var pq = new PanopticQuality(classes.Categories);
        pq.Update("img", gt.ToIdMap(), gtSegments, map, segs);
        return pq.Compute();
    }

    [Fact]
    public void SharedSamplesRoundTripToPqOne()
    {
        int count = 0;
        foreach (var c in PanopticGtCases.All())
        {
            var r = RoundTrip(c.Classes, c.Gt, c.JsonSegments);
            Assert.True(r.All.N > 0, c.Name);
            Assert.True(Math.Abs(r.All.Pq - 1) < 1e-12, $"{c.Name}: PQ {r.All.Pq}\n{r.FormatTable()}");
            Assert.Equal(1.0, r.All.Sq, 12);
            count++;
        }
        Assert.True(count >= 8, $"only {count} panoptic sample images found");
    }

    [Fact]
    public void TopKAndThresholdLimitCenters()
    {
        var heat = zeros(1, 9, 9);
        heat[0, 1, 1] = tensor(0.9f); heat[0, 1, 7] = tensor(0.5f); heat[0, 7, 4] = tensor(0.3f); heat[0, 7, 7] = tensor(0.05f);
        Assert.Equal(3, PanopticPostProcessor.FindInstanceCenters(heat, 0.1, 3, 0).Count);
        // Strictly above the k-th score: top-2 keeps only the best one (detectron2's quirk).
        Assert.Equal([(1, 1)], PanopticPostProcessor.FindInstanceCenters(heat, 0.1, 3, 2));
        // NMS with a kernel covering both top peaks keeps the larger one only.
        heat[0, 1, 3] = tensor(0.8f);
        var kept = PanopticPostProcessor.FindInstanceCenters(heat, 0.1, 5, 0);
        Assert.DoesNotContain((1, 3), kept);
        Assert.Contains((1, 1), kept);
    }

    [Fact]
    public void SmallStuffBecomesVoidAndInstancesTakeTheMajorityClass()
    {
        // 1 x 6 image: classes 0 (stuff), 1 and 2 (things). One centre at x = 4; pixels 3..5 point to it.
        var sem = new[] { 0, 0, 0, 1, 2, 2 };
        var center = zeros(1, 1, 6); center[0, 0, 4] = tensor(1f);
        var offset = zeros(2, 1, 6);
        offset[1, 0, 3] = tensor(1f); offset[1, 0, 5] = tensor(-1f);
        var post = new PanopticPostProcessor([false, true, true], new PanopticPostProcessOptions { StuffArea = 4, LabelDivisor = 10, NmsKernel = 3 });
        var p = post.Process(sem, center, offset);
        Assert.Equal([-1, -1, -1, 21, 21, 21], p.Panoptic);
        post = new PanopticPostProcessor([false, true, true], new PanopticPostProcessOptions { StuffArea = 3, LabelDivisor = 10, NmsKernel = 3 });
        Assert.Equal([0, 0, 0, 21, 21, 21], post.Process(sem, center, offset).Panoptic);
    }
}
