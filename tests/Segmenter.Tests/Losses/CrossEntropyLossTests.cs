using Segmenter.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Losses;

public class CrossEntropyLossTests
{
    // 1 image, 3 classes, 1 x 4 pixels; labels 0, 2, ignore, 1.
    private static readonly float[,] L = { { 2f, 0f, -1f, 0.5f }, { 0f, 1f, 3f, 0.5f }, { -1f, 2f, 0f, 0.5f } };
    private static readonly long[] Y = [0, 2, 255, 1];

    private static Tensor Logits(bool grad = false)
    {
        var t = torch.zeros(1, 3, 1, 4);
        for (int c = 0; c < 3; c++) for (int x = 0; x < 4; x++) t[0, c, 0, x] = torch.tensor(L[c, x]);
        return grad ? t.requires_grad_() : t;
    }

    private static Tensor Labels() => torch.tensor(Y, dtype: ScalarType.Int64).view(1, 1, 4);

    private static double Nll(int x, long y)
    {
        double z = 0; for (int c = 0; c < 3; c++) z += Math.Exp(L[c, x]);
        return -(L[y, x] - Math.Log(z));
    }

    [Fact]
    public void TorchWeightedMeanWithoutWeightsIsTheMeanOverCountedPixels()
    {
        using var scope = NewDisposeScope();
        var loss = new CrossEntropyLoss(255, reduction: CrossEntropyReduction.ClassWeightSum).Compute(Logits(), Labels()).item<float>();
        double expected = (Nll(0, 0) + Nll(1, 2) + Nll(3, 1)) / 3;
        Assert.Equal(expected, loss, 5);
        Assert.Equal(nn.functional.cross_entropy(Logits(), Labels(), ignore_index: 255).item<float>(), loss, 5);
    }

    [Fact]
    public void TorchWeightedMeanDividesByTheSumOfWeights()
    {
        using var scope = NewDisposeScope();
        double[] w = [1.0, 2.0, 0.5];
        var loss = new CrossEntropyLoss(255, w, reduction: CrossEntropyReduction.ClassWeightSum).Compute(Logits(), Labels()).item<float>();
        double expected = (w[0] * Nll(0, 0) + w[2] * Nll(1, 2) + w[1] * Nll(3, 1)) / (w[0] + w[2] + w[1]);
        Assert.Equal(expected, loss, 5);
        var torchRef = nn.functional.cross_entropy(Logits(), Labels(), weight: torch.tensor(w.Select(v => (float)v).ToArray()), ignore_index: 255);
        Assert.Equal(torchRef.item<float>(), loss, 5);
    }

    [Fact]
    public void AllIgnoredBatchGivesZeroWithGradient()
    {
        using var scope = NewDisposeScope();
        var logits = Logits(grad: true);
        foreach (var reduction in Enum.GetValues<CrossEntropyReduction>())
        {
            logits.grad?.zero_();
            var loss = new CrossEntropyLoss(255, [1.0, 2.0, 0.5], reduction: reduction).Compute(logits, torch.full([1, 1, 4], 255L, ScalarType.Int64));
            Assert.Equal(0f, loss.item<float>());
            loss.backward();
            Assert.NotNull(logits.grad);
            Assert.False(logits.grad!.isnan().any().item<bool>());
            Assert.Equal(0f, logits.grad.abs().sum().item<float>());
            var ohem = new CrossEntropyLoss(255, null, new OhemPixelSampler(0.7, 2), reduction).Compute(logits, torch.full([1, 1, 4], 255L, ScalarType.Int64));
            Assert.Equal(0f, ohem.item<float>());
        }
    }

    [Fact]
    public void LabelOutsideTheClassesIsABadInputError()
    {
        using var scope = NewDisposeScope();
        var labels = torch.tensor(new long[] { 0, 7, 255, 1 }, dtype: ScalarType.Int64).view(1, 1, 4);
        var e = Assert.Throws<SegmenterException>(() => new CrossEntropyLoss(255).Compute(Logits(), labels));
        Assert.Contains("label value 7", e.Message);
    }

    /// <summary>Logits whose ground-truth probabilities are known: class 0 logit = log(p/(1-p)) vs class 1 logit 0.</summary>
    private static (Tensor Logits, Tensor Labels, double[] P) KnownProbs()
    {
        double[] p = [0.05, 0.2, 0.3, 0.5, 0.65, 0.8, 0.9, 0.95, 0.6, 0.1];
        var logits = torch.zeros(1, 2, 2, 5);
        for (int i = 0; i < p.Length; i++) logits[0, 0, i / 5, i % 5] = torch.tensor((float)Math.Log(p[i] / (1 - p[i])));
        var labels = torch.zeros([1, 2, 5], ScalarType.Int64);
        labels[0, 1, 4] = torch.tensor(255L); // p = 0.1 is ignored, never kept although it is the hardest
        return (logits, labels, p);
    }

    private static Tensor Kept(OhemPixelSampler sampler, Tensor logits, Tensor labels)
    {
        var valid = labels.ne(255);
        var safe = labels.masked_fill(valid.logical_not(), 0);
        var nll = -nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1);
        return sampler.Sample(logits, labels, valid, nll, valid.to_type(ScalarType.Float32));
    }

    [Fact]
    public void OhemWithThresholdKeepsPixelsBelowIt()
    {
        using var scope = NewDisposeScope();
        var (logits, labels, _) = KnownProbs();
        // 9 valid probs; below 0.7: 0.05 0.2 0.3 0.5 0.65 0.6 -> 6 pixels.
        Assert.Equal(6, Kept(new OhemPixelSampler(0.7, 2), logits, labels).sum().item<long>());
        // min_kept 8 raises the threshold to the 9th smallest (0.95): strictly below it are 8 pixels.
        Assert.Equal(8, Kept(new OhemPixelSampler(0.7, 8), logits, labels).sum().item<long>());
        var kept = Kept(new OhemPixelSampler(0.7, 2), logits, labels);
        Assert.False(kept[0, 1, 4].item<bool>());
    }

    [Fact]
    public void OhemWithoutThresholdKeepsTheHardestMinKept()
    {
        using var scope = NewDisposeScope();
        var (logits, labels, _) = KnownProbs();
        var kept = Kept(new OhemPixelSampler(null, 3), logits, labels);
        Assert.Equal(3, kept.sum().item<long>());
        // hardest valid: p = 0.05 (0,0), 0.2 (0,1), 0.3 (0,2); the ignored 0.1 is not among them.
        Assert.True(kept[0, 0, 0].item<bool>() && kept[0, 0, 1].item<bool>() && kept[0, 0, 2].item<bool>());
        Assert.Equal(9, Kept(new OhemPixelSampler(null, 100), logits, labels).sum().item<long>());
    }

    [Fact]
    public void OhemUnderTorchWeightedMeanIsTheMeanOverKeptPixels()
    {
        using var scope = NewDisposeScope();
        var (logits, labels, p) = KnownProbs();
        var loss = new CrossEntropyLoss(255, null, new OhemPixelSampler(null, 3), CrossEntropyReduction.ClassWeightSum).Compute(logits, labels).item<float>();
        Assert.Equal((-Math.Log(p[0]) - Math.Log(p[1]) - Math.Log(p[2])) / 3, loss, 4);
    }

    // MMSegmentation's CrossEntropyLoss (mmseg/models/losses/cross_entropy_loss.py): F.cross_entropy(weight=class_weight,
    // reduction='none') gives w[y]·nll and 0 at ignored pixels; avg_non_ignore=False takes the mean over all pixels,
    // avg_non_ignore=True divides the sum by (non-ignored count + float32 eps). Class weights never enter the denominator.
    [Fact]
    public void MmsegDefaultDividesByAllPixelsIgnoredIncluded()
    {
        using var scope = NewDisposeScope();
        var loss = new CrossEntropyLoss(255).Compute(Logits(), Labels()).item<float>();
        Assert.Equal((Nll(0, 0) + Nll(1, 2) + Nll(3, 1)) / 4, loss, 5);
        var perPixel = nn.functional.cross_entropy(Logits(), Labels(), ignore_index: 255, reduction: nn.Reduction.None);
        Assert.Equal(perPixel.mean().item<float>(), loss, 6);
    }

    [Fact]
    public void MmsegClassWeightsDoNotEnterTheDenominator()
    {
        using var scope = NewDisposeScope();
        double[] w = [1.0, 2.0, 0.5];
        double weightedSum = w[0] * Nll(0, 0) + w[2] * Nll(1, 2) + w[1] * Nll(3, 1);
        Assert.Equal(weightedSum / 4, new CrossEntropyLoss(255, w).Compute(Logits(), Labels()).item<float>(), 5);
        Assert.Equal(weightedSum / (3 + 1.1920928955078125e-07),
            new CrossEntropyLoss(255, w, reduction: CrossEntropyReduction.NonIgnored).Compute(Logits(), Labels()).item<float>(), 5);
    }

    [Fact]
    public void MmsegOhemKeepsItsDenominator()
    {
        // mmseg's decode head passes the OHEM mask as the pixel weight; weight_reduce_loss still divides by all pixels
        // (or the non-ignored ones), not by the kept count.
        using var scope = NewDisposeScope();
        var (logits, labels, p) = KnownProbs();
        double kept = -Math.Log(p[0]) - Math.Log(p[1]) - Math.Log(p[2]);
        Assert.Equal(kept / 10, new CrossEntropyLoss(255, null, new OhemPixelSampler(null, 3)).Compute(logits, labels).item<float>(), 5);
        Assert.Equal(kept / 9, new CrossEntropyLoss(255, null, new OhemPixelSampler(null, 3), CrossEntropyReduction.NonIgnored)
            .Compute(logits, labels).item<float>(), 5);
    }

    [Theory]
    [InlineData(false, false, CrossEntropyReduction.AllPixels)]
    [InlineData(true, false, CrossEntropyReduction.NonIgnored)]
    [InlineData(false, true, CrossEntropyReduction.ClassWeightSum)]
    [InlineData(true, true, CrossEntropyReduction.ClassWeightSum)]
    public void ConfigKeysChooseTheReduction(bool avgNonIgnore, bool torchWeightedMean, CrossEntropyReduction expected) =>
        Assert.Equal(expected, CrossEntropyLoss.ReductionOf(new Segmenter.Config.LossConfig { AvgNonIgnore = avgNonIgnore, TorchWeightedMean = torchWeightedMean }));
}
