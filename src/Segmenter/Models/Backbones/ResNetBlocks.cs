using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Backbones;

/// <summary>Builds the optional attention module (`deattn`) a residual block carries; null = none.</summary>
public delegate nn.Module<Tensor, Tensor>? BlockAttentionFactory(int width);

/// <summary>
/// torchvision BasicBlock (expansion 1) with mmseg's dilation support: conv1 3x3 (stride, dilation) - bn1 - relu
/// - [deattn] - conv2 3x3 - bn2, plus the shortcut. The attention sits after the first 3x3 conv's BN+ReLU, as in
/// the official PSA HRNet block.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 1;

    private readonly Conv2dLayer conv1;
    private readonly BatchNorm bn1;
    private readonly nn.Module<Tensor, Tensor>? deattn;
    private readonly Conv2dLayer conv2;
    private readonly BatchNorm bn2;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public BasicBlock(int inplanes, int planes, int stride, int dilation, nn.Module<Tensor, Tensor>? downsample,
        BlockAttentionFactory? attention, double bnMomentum, double bnEps) : base(nameof(BasicBlock))
    {
        Stride = stride;
        Dilation = dilation;
        conv1 = Conv2dLayer.Create(inplanes, planes, 3, stride: stride, padding: dilation, dilation: dilation, bias: false);
        bn1 = BatchNormLayer.TwoD(planes, eps: bnEps, momentum: bnMomentum);
        deattn = attention?.Invoke(planes);
        conv2 = Conv2dLayer.Create(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNormLayer.TwoD(planes, eps: bnEps, momentum: bnMomentum);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <summary>The BN whose weight zero_init_residual sets to 0.</summary>
    /// <summary>Stride and dilation of the block's strided 3x3 conv (for checks and summaries).</summary>
    public int Stride { get; }
    public int Dilation { get; }

    internal BatchNorm LastBn => bn2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(conv1.forward(x)).relu_();
        if (deattn is not null) y = deattn.forward(y);
        y = bn2.call(conv2.forward(y));
        var identity = downsample is null ? x : downsample.forward(x);
        return y.add_(identity, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var y = g.Relu(conv1.EmitOnnx(g, x, bn1));
        if (deattn is not null) y = g.Emit(deattn, y);
        y = conv2.EmitOnnx(g, y, bn2);
        var identity = downsample is null ? x : g.Emit(downsample, x);
        return g.Relu(g.Add(y, identity));
    }
}

/// <summary>
/// torchvision Bottleneck (expansion 4, "V1.5": stride on the 3x3): conv1 1x1 - bn1 - relu - conv2 3x3 (stride,
/// dilation) - bn2 - relu - [deattn] - conv3 1x1 - bn3, plus the shortcut. PSA goes after the first 3x3 conv's
/// BN+ReLU (REFERENCE 3.1; a design decision, there is no official ResNet PSA code).
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 4;

    private readonly Conv2dLayer conv1;
    private readonly BatchNorm bn1;
    private readonly Conv2dLayer conv2;
    private readonly BatchNorm bn2;
    private readonly nn.Module<Tensor, Tensor>? deattn;
    private readonly Conv2dLayer conv3;
    private readonly BatchNorm bn3;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public Bottleneck(int inplanes, int planes, int stride, int dilation, nn.Module<Tensor, Tensor>? downsample,
        BlockAttentionFactory? attention, double bnMomentum, double bnEps) : base(nameof(Bottleneck))
    {
        Stride = stride;
        Dilation = dilation;
        int width = planes;
        conv1 = Conv2dLayer.Create(inplanes, width, 1, bias: false);
        bn1 = BatchNormLayer.TwoD(width, eps: bnEps, momentum: bnMomentum);
        conv2 = Conv2dLayer.Create(width, width, 3, stride: stride, padding: dilation, dilation: dilation, bias: false);
        bn2 = BatchNormLayer.TwoD(width, eps: bnEps, momentum: bnMomentum);
        deattn = attention?.Invoke(width);
        conv3 = Conv2dLayer.Create(width, planes * Expansion, 1, bias: false);
        bn3 = BatchNormLayer.TwoD(planes * Expansion, eps: bnEps, momentum: bnMomentum);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <summary>Stride and dilation of the 3x3 conv2.</summary>
    public int Stride { get; }
    public int Dilation { get; }

    internal BatchNorm LastBn => bn3;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(conv1.forward(x)).relu_();
        y = bn2.call(conv2.forward(y)).relu_();
        if (deattn is not null) y = deattn.forward(y);
        y = bn3.call(conv3.forward(y));
        var identity = downsample is null ? x : downsample.forward(x);
        return y.add_(identity, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var y = g.Relu(conv1.EmitOnnx(g, x, bn1));
        y = g.Relu(conv2.EmitOnnx(g, y, bn2));
        if (deattn is not null) y = g.Emit(deattn, y);
        y = conv3.EmitOnnx(g, y, bn3);
        var identity = downsample is null ? x : g.Emit(downsample, x);
        return g.Relu(g.Add(y, identity));
    }
}
