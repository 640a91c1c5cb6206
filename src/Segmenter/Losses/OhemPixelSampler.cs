using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// Online hard example mining as mmseg's OHEMPixelSampler. With a threshold: keep pixels whose ground-truth
/// probability is below max(thresh, p_k), where p_k is the (k+1)-th smallest such probability and k = min_kept ·
/// batch size, so at least the k hardest pixels survive. Without a threshold: keep the k highest-loss pixels.
/// Ignored pixels are never kept.
/// </summary>
public sealed class OhemPixelSampler
{
    public OhemPixelSampler(double? thresh, int minKept)
    {
        if (thresh is < 0 or > 1)
            throw new SegmenterException($"ohem thresh {thresh} is outside [0, 1]", "model.loss.ohem.thresh", "use e.g. 0.7, or null for top-k");
        if (minKept < 0)
            throw new SegmenterException($"ohem min_kept {minKept} is negative", "model.loss.ohem.min_kept", "use e.g. 100000");
        Thresh = thresh;
        MinKept = minKept;
    }

    public double? Thresh { get; }
    public int MinKept { get; }

    /// <summary>Returns a bool mask [N, H, W] of kept pixels (computed without grad).</summary>
    /// <param name="nll">Per-pixel negative log-likelihood of the ground-truth class [N, H, W].</param>
    /// <param name="weight">Per-pixel class weight (0 at ignored pixels) [N, H, W]; the loss the top-k ranks by.</param>
    public Tensor Sample(Tensor logits, Tensor labels, Tensor valid, Tensor nll, Tensor weight)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        long batchKept = (long)MinKept * labels.shape[0];
        var validFlat = valid.flatten();
        var validIdx = validFlat.nonzero().squeeze(1);
        long n = validIdx.shape[0];
        var keep = torch.zeros_like(validFlat);
        if (n > 0)
        {
            if (Thresh is double thresh)
            {
                // p(gt) = exp(-nll): identical to gathering the softmax, without a second softmax.
                var prob = nll.detach().neg().exp().flatten().index_select(0, validIdx);
                var sorted = prob.sort().Values;
                double minThreshold = sorted[Math.Min(batchKept, n - 1)].ToDouble();
                double threshold = Math.Max(minThreshold, thresh);
                keep.index_put_(prob.lt(threshold), validIdx);
            }
            else
            {
                var loss = (nll.detach() * weight.detach()).flatten().index_select(0, validIdx);
                var order = loss.argsort(descending: true);
                var top = order.slice(0, 0, Math.Min(batchKept, n), 1);
                keep.index_put_(torch.ones(top.shape[0], ScalarType.Bool, device: keep.device), validIdx.index_select(0, top));
            }
        }
        return keep.view_as(valid).MoveToOuterDisposeScope();
    }
}
