using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// Official PSA_s (DeLightCMU/PSA, network/PSA.py): the channel-only gate first, then the spatial-only gate on the
/// channel-gated tensor. Differs from PSA_p in two places the checkpoints depend on: <c>conv_up</c> is an SE-like
/// bottleneck (<c>conv_up.0</c> conv planes/2→planes/8 with bias, <c>conv_up.1</c> LayerNorm([planes/8,1,1]),
/// <c>conv_up.2</c> ReLU, <c>conv_up.3</c> conv →planes with bias), and the spatial gate takes the softmax over H·W
/// of each <c>conv_v_left</c> channel BEFORE the dot product with the pooled query (no softmax after it).
/// </summary>
public sealed class PolarizedSelfAttentionSequential : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private const int Ratio = 4;

    private readonly Conv2dLayer conv_q_right;
    private readonly Conv2dLayer conv_v_right;
    private readonly Sequential conv_up;
    private readonly Conv2dLayer conv_q_left;
    private readonly Conv2dLayer conv_v_left;

    public int Inplanes { get; }
    public int Planes { get; }

    public PolarizedSelfAttentionSequential(int inplanes, int planes) : base("PSA_s")
    {
        if (inplanes != planes)
            throw new SegmenterException($"PSA_s needs inplanes == planes (the spatial gate runs on the channel-gated tensor), got ({inplanes}, {planes})", "PolarizedSelfAttentionSequential", "use the block's channel width for both");
        if (planes / 2 / Ratio < 1)
            throw new SegmenterException($"PSA_s needs planes >= 8 (bottleneck planes/8), got {planes}", "PolarizedSelfAttentionSequential", "insert PSA_s only into blocks with at least 8 channels");
        Inplanes = inplanes;
        Planes = planes;
        int inter = planes / 2;
        int squeezed = inter / Ratio;
        conv_q_right = Conv2dLayer.Create(inplanes, 1, 1, bias: false);
        conv_v_right = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        conv_up = nn.Sequential(
            Conv2dLayer.Create(inter, squeezed, 1, bias: true),
            nn.LayerNorm(new long[] { squeezed, 1, 1 }),
            nn.ReLU(),
            Conv2dLayer.Create(squeezed, planes, 1, bias: true));
        conv_q_left = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        conv_v_left = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        RegisterComponents();
        PsaInit.KaimingFanIn(conv_q_right, conv_v_right, conv_q_left, conv_v_left);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var channelGated = x * PsaBranches.ChannelGate(x, conv_q_right, conv_v_right, conv_up);
        return (channelGated * PsaBranches.SpatialGate(channelGated, conv_q_left, conv_v_left, softmaxKeysFirst: true)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var channelGated = g.Mul(x, PsaBranches.EmitChannelGate(g, x, conv_q_right, conv_v_right, conv_up));
        return g.Mul(channelGated, PsaBranches.EmitSpatialGate(g, channelGated, conv_q_left, conv_v_left, softmaxKeysFirst: true));
    }
}
