using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// Official PSA_p (DeLightCMU/PSA, network/PSA.py): a channel-only gate and a spatial-only gate, each multiplied
/// onto the input, summed. Parameter names equal the official state_dict so its checkpoints load unchanged.
/// Channel gate: softmax over H·W of <c>conv_q_right</c> pools <c>conv_v_right</c> (planes/2), <c>conv_up</c> back to
/// planes, sigmoid. Spatial gate: global mean of <c>conv_q_left</c> dotted with <c>conv_v_left</c> at each position,
/// softmax over H·W of that product, then sigmoid. All convolutions are 1×1 without bias.
/// </summary>
public sealed class PolarizedSelfAttentionParallel : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2dLayer conv_q_right;
    private readonly Conv2dLayer conv_v_right;
    private readonly Conv2dLayer conv_up;
    private readonly Conv2dLayer conv_q_left;
    private readonly Conv2dLayer conv_v_left;

    public int Inplanes { get; }
    public int Planes { get; }

    public PolarizedSelfAttentionParallel(int inplanes, int planes) : base("PSA_p")
    {
        if (inplanes <= 0 || planes < 2)
            throw new SegmenterException($"PSA_p needs inplanes > 0 and planes >= 2, got ({inplanes}, {planes})", "PolarizedSelfAttentionParallel", "use the block's channel width for both");
        Inplanes = inplanes;
        Planes = planes;
        int inter = planes / 2;
        conv_q_right = Conv2dLayer.Create(inplanes, 1, 1, bias: false);
        conv_v_right = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        conv_up = Conv2dLayer.Create(inter, planes, 1, bias: false);
        conv_q_left = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        conv_v_left = Conv2dLayer.Create(inplanes, inter, 1, bias: false);
        RegisterComponents();
        PsaInit.KaimingFanIn(conv_q_right, conv_v_right, conv_q_left, conv_v_left);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var channelGate = PsaBranches.ChannelGate(x, conv_q_right, conv_v_right, conv_up);
        var spatialGate = PsaBranches.SpatialGate(x, conv_q_left, conv_v_left, softmaxKeysFirst: false);
        // x·g_c + x·g_s as x·(g_c + g_s): one full-size product instead of two plus a sum, forward and backward.
        return (x * (channelGate + spatialGate)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var channelGate = PsaBranches.EmitChannelGate(g, x, conv_q_right, conv_v_right, conv_up);
        var spatialGate = PsaBranches.EmitSpatialGate(g, x, conv_q_left, conv_v_left, softmaxKeysFirst: false);
        return g.Mul(x, g.Add(channelGate, spatialGate));
    }
}
