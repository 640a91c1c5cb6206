using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// csrhddlam/axial-deeplab <c>AxialBlock</c> (expansion 2): a ResNet bottleneck whose 3×3 conv is replaced by a
/// height <see cref="AxialAttention"/> then a width one (which carries the stride):
/// conv_down → bn1 → ReLU → hight_block → width_block → ReLU → conv_up → bn2 → + identity / downsample(x) → ReLU.
/// <c>hight_block</c> keeps the official typo so checkpoints load unchanged.
/// </summary>
public sealed class AxialBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 2;

    private readonly Conv2dLayer conv_down;
    private readonly BatchNorm bn1;
    private readonly AxialAttention hight_block;
    private readonly AxialAttention width_block;
    private readonly Conv2dLayer conv_up;
    private readonly BatchNorm bn2;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public int Stride { get; }
    public int OutChannels { get; }

    public AxialBlock(int inplanes, int planes, int stride = 1, nn.Module<Tensor, Tensor>? downsample = null,
        int groups = 1, int base_width = 64, int kernel_size = 56, int? span = null) : base("AxialBlock")
    {
        if (inplanes <= 0 || planes <= 0 || base_width <= 0)
            throw new SegmenterException($"AxialBlock needs positive inplanes/planes/base_width, got {inplanes}/{planes}/{base_width}", "AxialBlock", "check the layer widths");
        int width = (int)(planes * (base_width / 64.0));
        Stride = stride;
        OutChannels = planes * Expansion;
        conv_down = Conv2dLayer.Create(inplanes, width, 1, bias: false);
        bn1 = BatchNormLayer.TwoD(width);
        hight_block = new AxialAttention(width, width, groups: groups, kernel_size: kernel_size, span: span);
        width_block = new AxialAttention(width, width, groups: groups, kernel_size: kernel_size, stride: stride, width: true, span: span);
        conv_up = Conv2dLayer.Create(width, OutChannels, 1, bias: false);
        bn2 = BatchNormLayer.TwoD(OutChannels);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <summary>The official network's shortcut: Sequential(conv1x1(inplanes, outplanes, stride), BatchNorm2d) as <c>downsample.0/.1</c>.</summary>
    public static Sequential MakeDownsample(int inplanes, int outplanes, int stride) =>
        nn.Sequential(Conv2dLayer.Create(inplanes, outplanes, 1, stride: stride, bias: false), BatchNormLayer.TwoD(outplanes));

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var @out = nn.functional.relu(bn1.call(conv_down.forward(x)));
        @out = nn.functional.relu(width_block.forward(hight_block.forward(@out)));
        @out = bn2.call(conv_up.forward(@out));
        if (!@out.shape.SequenceEqual(identity.shape))
            throw new SegmenterException($"AxialBlock output [{string.Join(",", @out.shape)}] cannot be added to the identity [{string.Join(",", identity.shape)}]", "AxialBlock", "give the block a downsample when stride != 1 or inplanes != 2·planes");
        return nn.functional.relu(@out + identity).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var identity = downsample is null ? x : g.Emit(downsample, x);
        var @out = g.Relu(conv_down.EmitOnnx(g, x, bn1));
        @out = g.Relu(width_block.EmitOnnx(g, hight_block.EmitOnnx(g, @out)));
        return g.Relu(g.Add(conv_up.EmitOnnx(g, @out, bn2), identity));
    }
}
