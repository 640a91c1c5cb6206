using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// mmseg BaseDecodeHead: takes the backbone's stage list, returns class logits at feature resolution. Owns the
/// classifier (`dropout` Dropout2d then `conv_seg` 1x1 with bias, init normal std 0.01 / bias 0).
/// </summary>
public abstract class DecodeHead : nn.Module<Tensor[], Tensor>
{
    protected readonly SeededDropout? dropout;
    protected readonly Conv2dLayer conv_seg;

    protected DecodeHead(string name, int channels, int numClasses, double dropoutRatio, bool alignCorners) : base(name)
    {
        NumClasses = numClasses;
        AlignCorners = alignCorners;
        if (dropoutRatio > 0) dropout = SeededDropout.Channelwise(dropoutRatio);
        conv_seg = Conv2dLayer.Create(channels, numClasses, 1);
        using var noGrad = torch.no_grad();
        nn.init.normal_(conv_seg.weight, 0, 0.01);
        nn.init.zeros_(conv_seg.bias!);
    }

    public int NumClasses { get; }
    public bool AlignCorners { get; }

    /// <summary>Dropout then the 1x1 classifier.</summary>
    protected Tensor ClsSeg(Tensor feat)
    {
        using var scope = NewDisposeScope();
        if (dropout is not null) feat = dropout.forward(feat);
        return conv_seg.forward(feat).MoveToOuterDisposeScope();
    }

    /// <summary>ONNX form of <see cref="ClsSeg"/>: dropout is the identity in eval mode, then the 1x1 classifier.</summary>
    protected string EmitClsSeg(OnnxGraphBuilder g, string feat) => conv_seg.EmitOnnx(g, feat);

    /// <summary>Bilinear resize to (h, w) with this head's align_corners.</summary>
    protected Tensor Resize(Tensor x, long h, long w) =>
        nn.functional.interpolate(x, [h, w], mode: InterpolationMode.Bilinear, align_corners: AlignCorners);

    protected static Tensor Pick(Tensor[] inputs, int index, string key) =>
        index >= 0 && index < inputs.Length ? inputs[index]
            : throw new SegmenterException($"stage index {index} is outside 0..{inputs.Length - 1}", key, $"use 0..{inputs.Length - 1}");
}
