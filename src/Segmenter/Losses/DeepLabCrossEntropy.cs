using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// Panoptic-DeepLab's semantic loss (bowenc0221/detectron2 DeepLabCE): per-pixel cross-entropy (0 on ignored pixels),
/// times optional pixel weights, then hard-pixel bootstrapping: the mean of the top_k_percent largest pixel losses
/// over all pixels of the batch (ignored ones included in the count, as the reference does). Split over replicas, k
/// and the threshold are the whole global batch's (the pixel losses are gathered once to find the k-th largest), so
/// the replicas select together exactly the pixels one process would and their losses sum to its loss.
/// </summary>
public sealed class DeepLabCrossEntropy
{
    public DeepLabCrossEntropy(int ignoreIndex = 255, double topKPercent = 0.2)
    {
        if (topKPercent is <= 0 or > 1)
            throw new SegmenterException($"top_k_percent is {topKPercent}", "model.panoptic.top_k_percent", "use a fraction in (0, 1], 0.2 by default");
        IgnoreIndex = ignoreIndex;
        TopKPercent = topKPercent;
    }

    public int IgnoreIndex { get; }
    public double TopKPercent { get; }

    /// <param name="logits">[N, C, H, W]</param><param name="labels">[N, H, W] int64</param><param name="weights">[N, H, W] or null</param>
    public Tensor Compute(Tensor logits, Tensor labels, Tensor? weights = null, ICrossReplicaReduction? reduction = null)
    {
        var r = reduction ?? CrossReplicaReduction.None;
        using var scope = NewDisposeScope();
        var pixel = nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: nn.Reduction.None);
        if (weights is not null) pixel = pixel * weights;
        pixel = pixel.reshape(-1);
        if (r.Replicas == 1)
        {
            if (TopKPercent >= 1) return pixel.mean().MoveToOuterDisposeScope();
            long k = (long)(TopKPercent * pixel.numel());
            if (k < 1) return (pixel.sum() * 0).MoveToOuterDisposeScope();
            return pixel.topk((int)k).values.mean().MoveToOuterDisposeScope();
        }
        double total = r.Sum(pixel.numel());
        if (TopKPercent >= 1) return (pixel.sum() / total).MoveToOuterDisposeScope();
        long kGlobal = (long)(TopKPercent * total);
        if (kGlobal < 1) return (pixel.sum() * 0).MoveToOuterDisposeScope();
        return (pixel.masked_select(GlobalTopK(pixel, kGlobal, r)).sum() / kGlobal).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// This replica's share of the global top-k: its pixels above the global k-th largest loss, plus as many pixels equal
    /// to it as the global count still needs after the replicas before it took theirs (first ones first).
    /// </summary>
    private static Tensor GlobalTopK(Tensor pixel, long k, ICrossReplicaReduction r)
    {
        var local = pixel.detach().to_type(ScalarType.Float32); // the collectives move fp32
        var (all, offset) = r.Gather(local);
        var threshold = all.topk((int)k).values[-1];
        var above = local.gt(threshold);
        long needTies = k - all.gt(threshold).sum().item<long>();
        var ties = local.eq(threshold);
        long tiesBefore = all.narrow(0, 0, offset).eq(threshold).sum().item<long>();
        long take = Math.Max(0, needTies - tiesBefore);
        if (take == 0) return above;
        var firstTies = ties.logical_and(ties.to_type(ScalarType.Int64).cumsum(0).le(take));
        return above.logical_or(firstTies);
    }
}
