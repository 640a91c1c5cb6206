using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// mmcv ConvModule: conv (no bias when a BN follows, mmcv bias='auto') -> BN -> ReLU, registered as `conv`, `bn`
/// so mmseg checkpoints map one-to-one. Init as mmcv: kaiming normal (fan_out, relu), BN 1/0.
/// A dilated depthwise conv runs on <see cref="DilatedDepthwiseConv"/> (same function and weights) when the module was
/// built with ownDepthwiseKernel (default: <see cref="DilatedDepthwiseConv.EnabledByEnvironment"/>).
/// </summary>
public sealed class ConvModule : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2dLayer conv;
    private readonly BatchNorm? bn;
    private readonly bool _relu;
    private readonly int _stride, _padding, _dilation, _groups;

    /// <param name="ownDepthwiseKernel">Compute an eligible dilated depthwise conv with <see cref="DilatedDepthwiseConv"/>
    /// (true) or LibTorch's conv2d (false); null = <see cref="DilatedDepthwiseConv.EnabledByEnvironment"/>.</param>
    public ConvModule(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool norm = true, bool relu = true, double bnMomentum = 0.1, double bnEps = 1e-5, bool? ownDepthwiseKernel = null)
        : base(nameof(ConvModule))
    {
        UsesOwnDepthwiseKernel = ownDepthwiseKernel ?? DilatedDepthwiseConv.EnabledByEnvironment;
        conv = Conv2dLayer.Create(inChannels, outChannels, kernelSize, stride: stride, padding: padding, dilation: dilation,
            groups: groups, bias: !norm);
        if (norm) bn = BatchNormLayer.TwoD(outChannels, eps: bnEps, momentum: bnMomentum);
        _relu = relu;
        (_stride, _padding, _dilation, _groups) = (stride, padding, dilation, groups);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        if (conv.bias is not null) nn.init.zeros_(conv.bias);
        if (bn is not null) { nn.init.ones_(bn.weight); nn.init.zeros_(bn.bias); }
    }

    /// <summary>Whether this module computes an eligible dilated depthwise conv with <see cref="DilatedDepthwiseConv"/>.</summary>
    public bool UsesOwnDepthwiseKernel { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = UsesOwnDepthwiseKernel && DilatedDepthwiseConv.Handles(x, conv.weight!, _stride, _dilation, _groups, conv.bias is not null)
            ? DilatedDepthwiseConv.Apply(x, conv.weight!, _padding, _dilation)
            : conv.forward(x);
        if (bn is not null) y = bn.call(y);
        if (_relu) y = y.relu_();
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Conv (BN folded in; the DilatedDepthwiseConv route is the same convolution) then Relu.</summary>
    public string EmitOnnx(OnnxGraphBuilder g, string input)
    {
        var y = conv.EmitOnnx(g, input, bn);
        return _relu ? g.Relu(y) : y;
    }
}
