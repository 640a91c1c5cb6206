using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// mmseg FCNHead (used as the auxiliary head on layer3): `convs.{i}` 3x3 ConvModules, optional `conv_cat` over
/// [input, convs output], then dropout + `conv_seg`.
/// </summary>
public sealed class FcnHead : DecodeHead, IOnnxDecodeHead
{
    private readonly Sequential? convs;
    private readonly ConvModule? conv_cat;
    private readonly int _inIndex;

    public FcnHead(int inChannels, int inIndex, int channels, int numConvs, bool concatInput, int numClasses,
        double dropoutRatio, bool alignCorners, double bnMomentum = 0.1, double bnEps = 1e-5)
        : base(nameof(FcnHead), channels, numClasses, dropoutRatio, alignCorners)
    {
        if (numConvs < 0)
            throw new SegmenterException($"num_convs is {numConvs}", "model.aux_head.num_convs", "use 0 or more");
        if (numConvs == 0 && inChannels != channels)
            throw new SegmenterException($"num_convs 0 needs channels == input channels ({inChannels}), got {channels}",
                "model.aux_head.channels", $"set channels to {inChannels} or num_convs >= 1");
        _inIndex = inIndex;
        if (numConvs > 0)
            convs = nn.Sequential(Enumerable.Range(0, numConvs)
                .Select(i => (nn.Module<Tensor, Tensor>)new ConvModule(i == 0 ? inChannels : channels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps))
                .ToArray());
        if (concatInput)
            conv_cat = new ConvModule(inChannels + channels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = Pick(inputs, _inIndex, "model.aux_head.in_index");
        var output = convs is null ? x : convs.forward(x);
        if (conv_cat is not null) output = conv_cat.forward(torch.cat([x, output], 1));
        return ClsSeg(output).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string[] inputs)
    {
        var x = inputs[_inIndex];
        var output = convs is null ? x : g.Emit(convs, x);
        if (conv_cat is not null) output = conv_cat.EmitOnnx(g, g.Concat(1, x, output));
        return EmitClsSeg(g, output);
    }
}
