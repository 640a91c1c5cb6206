using Segmenter.Data;
using Segmenter.Export;
using Segmenter.Losses;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Segmentors;

/// <summary>
/// mmseg EncoderDecoder: `backbone` -> `decode_head` (+ optional `auxiliary_head` on an intermediate stage).
/// Logits are bilinearly resized to the label/input size before the loss and for prediction.
/// </summary>
public sealed class EncoderDecoder : Segmentor
{
    private readonly Backbone backbone;
    private readonly DecodeHead decode_head;
    private readonly DecodeHead? auxiliary_head;

    private readonly CrossEntropyLoss _decodeLoss;
    private readonly CrossEntropyLoss? _auxLoss;
    private readonly double _decodeWeight;
    private readonly double _auxWeight;

    public EncoderDecoder(Backbone backbone, DecodeHead decodeHead, CrossEntropyLoss decodeLoss, double decodeLossWeight = 1.0,
        DecodeHead? auxiliaryHead = null, CrossEntropyLoss? auxLoss = null, double auxLossWeight = 0.4) : base(nameof(EncoderDecoder))
    {
        if (auxiliaryHead is not null && auxiliaryHead.NumClasses != decodeHead.NumClasses)
            throw new ArgumentException("decode and auxiliary heads disagree on the number of classes");
        this.backbone = backbone;
        decode_head = decodeHead;
        auxiliary_head = auxiliaryHead;
        _decodeLoss = decodeLoss;
        _auxLoss = auxiliaryHead is null ? null : auxLoss ?? new CrossEntropyLoss(decodeLoss.IgnoreIndex, decodeLoss.ClassWeight, reduction: decodeLoss.Reduction);
        _decodeWeight = decodeLossWeight;
        _auxWeight = auxLossWeight;
        RegisterComponents();
    }

    public Backbone Backbone => backbone;
    public DecodeHead DecodeHead => decode_head;
    public DecodeHead? AuxiliaryHead => auxiliary_head;
    public override int NumClasses => decode_head.NumClasses;

    public override Dictionary<string, Tensor> ComputeLosses(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var (images, labels, reduction) = (batch.Images, batch.Labels, batch.Reduction);
        long h = labels.shape[^2], w = labels.shape[^1];
        var feats = backbone.forward(images);
        var losses = new Dictionary<string, Tensor>();
        var decode = Resize(decode_head.forward(feats), h, w, decode_head.AlignCorners);
        losses["decode.loss_ce"] = (_decodeLoss.Compute(decode, labels, reduction) * _decodeWeight).MoveToOuterDisposeScope();
        if (auxiliary_head is not null)
        {
            var aux = Resize(auxiliary_head.forward(feats), h, w, auxiliary_head.AlignCorners);
            losses["aux.loss_ce"] = (_auxLoss!.Compute(aux, labels, reduction) * _auxWeight).MoveToOuterDisposeScope();
        }
        return losses;
    }

    public override Tensor Logits(Tensor images)
    {
        using var scope = NewDisposeScope();
        var feats = backbone.forward(images);
        return Resize(decode_head.forward(feats), images.shape[2], images.shape[3], decode_head.AlignCorners).MoveToOuterDisposeScope();
    }

    /// <summary>ONNX nodes of <see cref="Logits"/>: backbone, decode head, bilinear resize to the size of <paramref name="images"/>.</summary>
    public string EmitOnnx(OnnxGraphBuilder g, string images)
    {
        if (backbone is not IOnnxBackbone b || decode_head is not IOnnxDecodeHead head)
            throw new SegmenterException($"ONNX export does not support {backbone.GetType().Name} with {decode_head.GetType().Name} yet",
                "segment export --format onnx", "see docs/onnx.md for the exportable families, or export --format safetensors");
        return g.ResizeLike(head.EmitOnnx(g, b.EmitOnnx(g, images)), images, decode_head.AlignCorners);
    }

    private static Tensor Resize(Tensor x, long h, long w, bool alignCorners) =>
        x.shape[2] == h && x.shape[3] == w ? x
            : nn.functional.interpolate(x, [h, w], mode: InterpolationMode.Bilinear, align_corners: alignCorners);
}
