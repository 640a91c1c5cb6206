using Segmenter.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// mmcv DepthwiseSeparableConvModule: a depthwise kxk ConvModule (groups = in channels, BN+ReLU) then a pointwise
/// 1x1 ConvModule (BN+ReLU), named `depthwise_conv` and `pointwise_conv`.
/// </summary>
public sealed class DepthwiseSeparableConvModule : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ConvModule depthwise_conv;
    private readonly ConvModule pointwise_conv;

    public DepthwiseSeparableConvModule(int inChannels, int outChannels, int kernelSize, int padding = 0, int dilation = 1,
        double bnMomentum = 0.1, double bnEps = 1e-5) : base(nameof(DepthwiseSeparableConvModule))
    {
        depthwise_conv = new ConvModule(inChannels, inChannels, kernelSize, padding: padding, dilation: dilation,
            groups: inChannels, bnMomentum: bnMomentum, bnEps: bnEps);
        pointwise_conv = new ConvModule(inChannels, outChannels, 1, bnMomentum: bnMomentum, bnEps: bnEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return pointwise_conv.forward(depthwise_conv.forward(x)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string input) => pointwise_conv.EmitOnnx(g, depthwise_conv.EmitOnnx(g, input));
}
