using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// Panoptic-DeepLab's semantic loss (bowenc0221/detectron2 DeepLabCE): per-pixel cross-entropy (0 on ignored pixels),
/// times optional pixel weights, then hard-pixel bootstrapping: the mean of the top_k_percent largest pixel losses
/// over all pixels of the batch (ignored ones included in the count, as the reference does).
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
    public Tensor Compute(Tensor logits, Tensor labels, Tensor? weights = null)
    {
        using var scope = NewDisposeScope();
        var pixel = nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: nn.Reduction.None);
        if (weights is not null) pixel = pixel * weights;
        pixel = pixel.reshape(-1);
        if (TopKPercent >= 1) return pixel.mean().MoveToOuterDisposeScope();
        long k = (long)(TopKPercent * pixel.numel());
        if (k < 1) return (pixel.sum() * 0).MoveToOuterDisposeScope();
        return pixel.topk((int)k).values.mean().MoveToOuterDisposeScope();
    }
}
