using Segmenter.Data;
using Segmenter.Export;
using Segmenter.Losses;
using Segmenter.Models.Backbones;
using Segmenter.Models.Panoptic;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Segmentors;

/// <summary>
/// Panoptic-DeepLab (bowenc0221 meta-arch names: `backbone`, `decoder`): a backbone, the dual decoder and heads.
/// Predictions are bilinearly upsampled (align_corners=True) to the input size, offsets scaled by the upsampling
/// factor. Losses: DeepLabCE with hard-pixel bootstrapping and small-instance weights, centre MSE and offset L1, each
/// normalised by the sum of its (channel-expanded) weights as the reference does, weighted 1 / 200 / 0.01 by default.
/// Axial-DeepLab is this model on an Axial-ResNet backbone without ASPP.
/// </summary>
public sealed class PanopticDeepLab : Segmentor
{
    private readonly Backbone backbone;
    private readonly PanopticDeepLabDecoder decoder;
    private readonly DeepLabCrossEntropy _semanticLoss;

    public PanopticDeepLab(Backbone backbone, PanopticDecoderSpec spec, DeepLabCrossEntropy semanticLoss,
        double semanticLossWeight = 1.0, double centerLossWeight = 200, double offsetLossWeight = 0.01) : base(nameof(PanopticDeepLab))
    {
        this.backbone = backbone;
        decoder = new PanopticDeepLabDecoder(spec);
        _semanticLoss = semanticLoss;
        NumClasses = spec.NumClasses;
        SemanticLossWeight = semanticLossWeight;
        CenterLossWeight = centerLossWeight;
        OffsetLossWeight = offsetLossWeight;
        RegisterComponents();
    }

    public Backbone Backbone => backbone;
    public PanopticDeepLabDecoder Decoder => decoder;
    public override int NumClasses { get; }
    public override SegmentationTask Task => SegmentationTask.Panoptic;
    public double SemanticLossWeight { get; }
    public double CenterLossWeight { get; }
    public double OffsetLossWeight { get; }

    /// <summary>Semantic logits [N, C, H, W], centre heatmap [N, 1, H, W] and offsets [N, 2, H, W] (pixels, y then x) at the input size.</summary>
    public (Tensor Semantic, Tensor Center, Tensor Offset) Predict(Tensor images)
    {
        using var scope = NewDisposeScope();
        var p = decoder.forward(backbone.forward(images));
        long h = images.shape[2], w = images.shape[3];
        var sem = Upsample(p["semantic"], h, w);
        var center = Upsample(p["center"], h, w);
        var off = p["offset"];
        var offset = Upsample(off, h, w);
        if (off.shape[2] != h || off.shape[3] != w)
        {
            // align_corners=True maps the corner pixels onto each other, so one feature step spans (H−1)/(h−1) input pixels.
            double sy = off.shape[2] > 1 ? (h - 1.0) / (off.shape[2] - 1) : h / (double)off.shape[2];
            double sx = off.shape[3] > 1 ? (w - 1.0) / (off.shape[3] - 1) : w / (double)off.shape[3];
            offset = cat([offset[.., 0..1] * sy, offset[.., 1..2] * sx], 1);
        }
        return (sem.MoveToOuterDisposeScope(), center.MoveToOuterDisposeScope(), offset.MoveToOuterDisposeScope());
    }

    /// <summary>ONNX nodes of <see cref="Predict"/> (offsets scaled by (H−1)/(h−1), computed from the graph's shapes).</summary>
    public (string Semantic, string Center, string Offset) EmitOnnx(OnnxGraphBuilder g, string images)
    {
        if (backbone is not IOnnxBackbone b)
            throw new SegmenterException($"ONNX export does not support the {backbone.GetType().Name} backbone yet", "segment export --format onnx",
                "see docs/onnx.md for the exportable families, or export --format safetensors");
        var p = decoder.EmitOnnx(g, b.EmitOnnx(g, images));
        var sem = g.ResizeLike(p["semantic"], images, alignCorners: true);
        var center = g.ResizeLike(p["center"], images, alignCorners: true);
        var offset = g.ResizeLike(p["offset"], images, alignCorners: true);
        var one = g.Scalar(1f, "one");
        var inHw = g.Sub(g.Cast(g.Shape(images, 2, 4), Onnx.TensorProto.Types.DataType.Float), one);
        var featHw = g.Sub(g.Cast(g.Shape(p["offset"], 2, 4), Onnx.TensorProto.Types.DataType.Float), one);
        var scale = g.Reshape(g.Div(inHw, featHw), 1, 2, 1, 1);
        return (sem, center, g.Mul(offset, scale));
    }

    /// <summary>Names of <see cref="Forward"/>'s outputs, as the ONNX export names them (bowenc0221's output dict keys).</summary>
    public const string SemanticOutput = "semantic", CenterOutput = "center", OffsetOutput = "offset";

    /// <summary>Semantic logits, centre heatmap, offsets (pixels of the map, y then x): how inference merges each.</summary>
    public static IReadOnlyList<OutputSpec> PanopticOutputSpecs { get; } =
        [new(SemanticOutput, OutputKind.ClassLogits), new(CenterOutput, OutputKind.Map), new(OffsetOutput, OutputKind.Offset)];

    public override IReadOnlyList<OutputSpec> OutputSpecs => PanopticOutputSpecs;

    /// <summary><see cref="Predict"/>'s three outputs by name.</summary>
    public override IReadOnlyDictionary<string, Tensor> Forward(Tensor images)
    {
        var (semantic, center, offset) = Predict(images);
        return new Dictionary<string, Tensor> { [SemanticOutput] = semantic, [CenterOutput] = center, [OffsetOutput] = offset };
    }

    /// <summary>Semantic logits only (for mIoU of the semantic branch).</summary>
    public override Tensor Logits(Tensor images)
    {
        var (s, c, o) = Predict(images);
        c.Dispose(); o.Dispose();
        return s;
    }

    /// <summary>Named, weighted loss terms: "semantic.loss_ce", "center.loss_mse", "offset.loss_l1"; their sum is the training loss.</summary>
    public override Dictionary<string, Tensor> ComputeLosses(TrainingBatch batch)
    {
        var targets = batch.Panoptic ?? throw new ArgumentException("a panoptic batch needs its targets (centre heatmaps, offsets, weights)", nameof(batch));
        using var scope = NewDisposeScope();
        var (sem, center, offset) = Predict(batch.Images);
        var losses = Losses(sem, center, offset, targets, batch.Reduction);
        foreach (var v in losses.Values) v.MoveToOuterDisposeScope();
        return losses;
    }

    /// <summary>The weighted loss terms of outputs (as <see cref="Predict"/> gives them) against their targets; also the validation loss.</summary>
    public Dictionary<string, Tensor> Losses(Tensor sem, Tensor center, Tensor offset, PanopticTargetBatch targets, ICrossReplicaReduction? reduction = null)
    {
        var r = reduction ?? CrossReplicaReduction.None;
        using var scope = NewDisposeScope();
        var losses = new Dictionary<string, Tensor>
        {
            ["semantic.loss_ce"] = _semanticLoss.Compute(sem, targets.Semantic, targets.SemanticWeights, r) * SemanticLossWeight,
            ["center.loss_mse"] = WeightedMean((center - targets.Center).square(), targets.CenterWeights, r) * CenterLossWeight,
            ["offset.loss_l1"] = WeightedMean((offset - targets.Offset).abs(), targets.OffsetWeights, r) * OffsetLossWeight,
        };
        foreach (var v in losses.Values) v.MoveToOuterDisposeScope();
        return losses;
    }

    /// <summary>
    /// Σ(loss · w) / Σw with w [N, H, W] expanded over the loss's channels (0 · Σloss when no pixel is weighted); Σw
    /// over the whole global batch when it is split over replicas.
    /// </summary>
    private static Tensor WeightedMean(Tensor loss, Tensor weights, Losses.ICrossReplicaReduction reduction)
    {
        var w = weights.unsqueeze(1).expand_as(loss);
        var total = w.sum();
        var weighted = (loss * w).sum();
        if (reduction.Replicas == 1) return total.item<float>() > 0 ? weighted / total : weighted * 0;
        double global = reduction.Sum(total.to_type(ScalarType.Float64).item<double>());
        return global > 0 ? weighted / global : weighted * 0;
    }

    private static Tensor Upsample(Tensor x, long h, long w) =>
        x.shape[2] == h && x.shape[3] == w ? x
            : nn.functional.interpolate(x, [h, w], mode: InterpolationMode.Bilinear, align_corners: true);
}
