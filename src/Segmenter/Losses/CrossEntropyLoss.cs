using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// Pixel-wise cross-entropy with an ignore index, optional class weights and optional OHEM. Reduction is PyTorch's
/// weighted mean over the counted pixels: sum(w[y]·nll) / sum(w[y]). Ignored pixels never count; a batch with no
/// counted pixel gives 0 (with a gradient), not NaN.
/// Split over replicas, the denominator is the global batch's (Σ over replicas), so the replicas' losses sum to the
/// whole-batch loss; with OHEM (whose pixel set depends on the slice) each replica's mean weighs by its share of the
/// samples, as DDP's gradient averaging does.
/// Note: mmseg's CrossEntropyLoss (avg_non_ignore=False) divides by ALL pixels instead; we follow PyTorch.
/// </summary>
public sealed class CrossEntropyLoss
{
    private readonly double[]? _classWeight;

    public CrossEntropyLoss(int ignoreIndex = 255, IReadOnlyList<double>? classWeight = null, OhemPixelSampler? ohem = null)
    {
        IgnoreIndex = ignoreIndex;
        _classWeight = classWeight?.ToArray();
        Ohem = ohem;
    }

    public int IgnoreIndex { get; }
    public IReadOnlyList<double>? ClassWeight => _classWeight;
    public OhemPixelSampler? Ohem { get; }

    /// <summary>logits [N, C, H, W] float, labels [N, H, W] int64 at the same H, W. Returns a scalar.</summary>
    public Tensor Compute(Tensor logits, Tensor labels, ICrossReplicaReduction? reduction = null)
    {
        var r = reduction ?? CrossReplicaReduction.None;
        if (logits.dim() != 4 || labels.dim() != 3 || logits.shape[0] != labels.shape[0]
            || logits.shape[2] != labels.shape[1] || logits.shape[3] != labels.shape[2])
            throw new ArgumentException($"logits [{string.Join(",", logits.shape)}] and labels [{string.Join(",", labels.shape)}] do not match");
        int numClasses = (int)logits.shape[1];
        if (_classWeight is not null && _classWeight.Length != numClasses)
            throw new SegmenterException($"class_weight has {_classWeight.Length} entries but the model has {numClasses} classes",
                "model.loss.class_weight", $"give {numClasses} weights");
        using var scope = NewDisposeScope();
        if (labels.dtype != ScalarType.Int64) labels = labels.to_type(ScalarType.Int64);
        var valid = labels.ne(IgnoreIndex);
        CheckLabelRange(labels, valid, numClasses);
        if (_classWeight is null && Ohem is null)
        {
            // The common case in LibTorch's fused kernel (log-softmax + NLL): the sum over counted pixels over their count.
            var sum = nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum);
            if (r.Replicas == 1) return (sum / valid.sum().clamp_min(1).to_type(logits.dtype)).MoveToOuterDisposeScope();
            return (sum / Math.Max(1.0, r.Sum(valid.sum().item<long>()))).MoveToOuterDisposeScope();
        }
        // Ignored pixels are mapped to class 0 for the gather and then masked out.
        var safe = labels.masked_fill(valid.logical_not(), 0);
        var nll = -nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1);
        var w = valid.to_type(logits.dtype);
        if (_classWeight is not null)
            w = w * torch.tensor(_classWeight, dtype: logits.dtype, device: logits.device).index_select(0, safe.flatten()).view_as(safe);
        if (Ohem is not null)
            w = w * Ohem.Sample(logits, labels, valid, nll, w).to_type(logits.dtype);
        var den = w.sum();
        var safeDen = torch.where(den.gt(0), den, torch.ones_like(den));
        if (r.Replicas == 1) return ((nll * w).sum() / safeDen).MoveToOuterDisposeScope();
        if (Ohem is not null)
        {
            double n = logits.shape[0];
            return ((nll * w).sum() / safeDen * (n / r.Sum(n))).MoveToOuterDisposeScope();
        }
        double global = r.Sum(den.to_type(ScalarType.Float64).item<double>());
        return ((nll * w).sum() / (global > 0 ? global : 1.0)).MoveToOuterDisposeScope();
    }

    private void CheckLabelRange(Tensor labels, Tensor valid, int numClasses)
    {
        using var scope = NewDisposeScope();
        var bad = valid.logical_and(labels.ge(numClasses).logical_or(labels.lt(0)));
        if (bad.any().item<bool>())
        {
            long v = labels.masked_select(bad)[0].item<long>();
            throw new SegmenterException($"label value {v} is not a class (num_classes {numClasses}) nor the ignore index {IgnoreIndex}",
                "model.num_classes", "set num_classes / ignore_index to match the dataset, or fix the label maps (data.reduce_zero_label?)");
        }
    }
}
