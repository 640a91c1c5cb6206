using Segmenter.Data;

namespace Segmenter.Tests.Data;

public class PanopticTargetsTests
{
    // 8 x 6: stuff (id 1, class 0) everywhere, a thing (id 5, class 1) in rows 1..2 x cols 1..3, a crowd thing (id 9) at row 4 cols 5..6, VOID at (7, 5).
    private static PanopticGroundTruth MakeGt()
    {
        int w = 8, h = 6;
        var ids = Enumerable.Repeat(1, w * h).ToArray();
        for (int y = 1; y <= 2; y++) for (int x = 1; x <= 3; x++) ids[y * w + x] = 5;
        ids[4 * w + 5] = 9; ids[4 * w + 6] = 9;
        ids[5 * w + 7] = 0;
        return new PanopticGroundTruth(w, h, ids,
        [
            new PanopticGtSegment(1, 100, 0, false, false),
            new PanopticGtSegment(5, 200, 1, true, false),
            new PanopticGtSegment(9, 200, 1, true, true),
        ]);
    }

    [Fact]
    public void TargetsFollowDetectron2Generator()
    {
        var t = PanopticTargets.Generate(MakeGt(), new PanopticTargetOptions { Sigma = 1, SmallInstanceArea = 4 });
        int w = 8;
        Assert.Equal(0, t.Semantic[0]);
        Assert.Equal(1, t.Semantic[1 * w + 1]);
        Assert.Equal(1, t.Semantic[4 * w + 5]);        // crowd keeps its class by default
        Assert.Equal(255, t.Semantic[5 * w + 7]);      // VOID -> ignore
        // Thing centre of mass (1.5, 2): heatmap peak at round-half-even (2, 2); crowd centre (4, 5.5) -> (4, 6).
        Assert.Equal(2, t.CenterPoints.Count);
        Assert.Equal((1.5, 2.0), t.CenterPoints[0]);
        Assert.Equal(1f, t.Center[2 * w + 2]);
        Assert.Equal(1f, t.Center[4 * w + 6]);
        Assert.Equal((float)Math.Exp(-0.5), t.Center[2 * w + 3], 6);
        Assert.Equal((float)Math.Exp(-6.5), t.Center[5 * w + 0], 6); // (3, 2) away: still inside the (6σ+3)-px window
        // Offsets point to the float centre, y then x; zero on stuff.
        Assert.Equal(0.5f, t.OffsetY[1 * w + 1]);
        Assert.Equal(1f, t.OffsetX[1 * w + 1]);
        Assert.Equal(0f, t.OffsetY[0]);
        // Weights: the 6-px thing is not small (area 4), the 2-px crowd is; crowd and VOID get no centre/offset weight.
        Assert.Equal(1f, t.SemanticWeights[1 * w + 1]);
        Assert.Equal(3f, t.SemanticWeights[4 * w + 5]);
        Assert.Equal(1f, t.CenterWeights[0]);
        Assert.Equal(0f, t.CenterWeights[4 * w + 5]);
        Assert.Equal(0f, t.CenterWeights[5 * w + 7]);
        Assert.Equal(0f, t.OffsetWeights[0]);
        Assert.Equal(1f, t.OffsetWeights[1 * w + 1]);
        Assert.Equal(0f, t.OffsetWeights[4 * w + 5]);
    }

    [Fact]
    public void CrowdCanBeIgnoredInSemantic()
    {
        var t = PanopticTargets.Generate(MakeGt(), new PanopticTargetOptions { IgnoreCrowdInSemantic = true });
        Assert.Equal(255, t.Semantic[4 * 8 + 5]);
    }
}
