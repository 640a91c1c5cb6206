using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// Pixel-wise cross-entropy with an ignore index, optional class weights and optional OHEM, reduced as
/// <see cref="Reduction"/> says: sum(w[y]·m·nll) / D, where w is the class weight (1 without), m the OHEM mask (1
/// without) and D all pixels (MMSegmentation's default), the non-ignored pixels (its <c>avg_non_ignore=True</c>) or
/// sum(w[y]·m) (PyTorch's weighted mean). Ignored pixels never add to the sum. A batch with no counted pixel gives 0
/// (with a gradient), not NaN.
/// Split over replicas, D is the global batch's (Σ over replicas), so the replicas' losses sum to the whole-batch
/// loss. With OHEM under PyTorch's weighted mean (whose D depends on the pixels each replica keeps) each replica's
/// mean weighs by its share of the samples, as DDP's gradient averaging does.
/// </summary>
public sealed class CrossEntropyLoss
{
    // MMSegmentation's cross_entropy adds torch.finfo(torch.float32).eps to avg_factor (weight_reduce_loss).
    private const double Float32Eps = 1.1920928955078125e-07;
    private readonly double[]? _classWeight;

    public CrossEntropyLoss(int ignoreIndex = 255, IReadOnlyList<double>? classWeight = null, OhemPixelSampler? ohem = null,
        CrossEntropyReduction reduction = CrossEntropyReduction.AllPixels)
    {
        IgnoreIndex = ignoreIndex;
        _classWeight = classWeight?.ToArray();
        Ohem = ohem;
        Reduction = reduction;
    }

    /// <summary>The denominator the config's model.loss keys choose (torch_weighted_mean, else avg_non_ignore).</summary>
    public static CrossEntropyReduction ReductionOf(Config.LossConfig cfg) =>
        cfg.TorchWeightedMean ? CrossEntropyReduction.ClassWeightSum
        : cfg.AvgNonIgnore ? CrossEntropyReduction.NonIgnored
        : CrossEntropyReduction.AllPixels;

    public int IgnoreIndex { get; }
    public IReadOnlyList<double>? ClassWeight => _classWeight;
    public OhemPixelSampler? Ohem { get; }
    public CrossEntropyReduction Reduction { get; }

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
        using var scalars = new HeldScalars();
        if (labels.dtype != ScalarType.Int64) labels = labels.to_type(ScalarType.Int64);
        var valid = labels.ne(IgnoreIndex);
        CheckLabelRange(labels, valid, numClasses);
        Tensor sum, weights;
        if (_classWeight is null && Ohem is null)
        {
            // The common case in LibTorch's fused kernel (log-softmax + NLL); the weights are the counted pixels.
            sum = nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum);
            weights = valid;
        }
        else
        {
            // Ignored pixels are mapped to class 0 for the gather and then masked out.
            var safe = labels.masked_fill(valid.logical_not(), 0);
            var nll = -nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1);
            var w = valid.to_type(logits.dtype);
            if (_classWeight is not null)
                w = w * torch.tensor(_classWeight, dtype: logits.dtype, device: logits.device).index_select(0, safe.flatten()).view_as(safe);
            if (Ohem is not null)
                w = w * Ohem.Sample(logits, labels, valid, nll, w).to_type(logits.dtype);
            sum = (nll * w).sum();
            weights = w;
        }
        return (Reduction switch
        {
            CrossEntropyReduction.AllPixels => sum.div(scalars.Of(r.Sum(labels.numel()))),
            CrossEntropyReduction.NonIgnored => sum.div(scalars.Of(r.Sum(valid.sum().item<long>()) + Float32Eps)),
            _ => WeightedMean(sum, weights, logits, r, scalars),
        }).MoveToOuterDisposeScope();
    }

    /// <summary>sum / Σ weights, PyTorch's weighted mean; 0 when nothing is counted.</summary>
    private Tensor WeightedMean(Tensor sum, Tensor weights, Tensor logits, ICrossReplicaReduction r, HeldScalars scalars)
    {
        if (r.Replicas == 1)
        {
            var den = weights.sum().to_type(sum.dtype);
            return sum / torch.where(den.gt(0), den, torch.ones_like(den));
        }
        if (Ohem is not null)
        {
            // The kept set depends on the slice, so no global denominator exists: local mean × share of the samples.
            var den = weights.sum().to_type(sum.dtype);
            double n = logits.shape[0];
            return (sum / torch.where(den.gt(0), den, torch.ones_like(den))).mul(scalars.Of(n / r.Sum(n)));
        }
        double global = r.Sum(weights.sum().to_type(ScalarType.Float64).item<double>());
        return sum.div(scalars.Of(global > 0 ? global : 1.0));
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
