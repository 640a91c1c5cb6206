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

    /// <summary>Registry builder (decode_head.type fcn): mmseg FCNHead with two convs and concat_input.</summary>
    public static FcnHead BuildDecode(Config.ModelConfig cfg, Backbones.Backbone backbone)
    {
        var h = cfg.DecodeHead;
        return new FcnHead(ModelFactory.StageChannels(backbone, h.InIndex, "model.decode_head.in_index"), h.InIndex, h.Channels, 2, true,
            cfg.NumClasses, h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps);
    }

    /// <summary>Registry builder (aux_head.type fcn); align_corners follows the decode head's.</summary>
    public static FcnHead BuildAux(Config.ModelConfig cfg, Backbones.Backbone backbone)
    {
        var a = cfg.AuxHead ?? throw new ArgumentException("model.aux_head is null", nameof(cfg));
        return new FcnHead(ModelFactory.StageChannels(backbone, a.InIndex, "model.aux_head.in_index"), a.InIndex, a.Channels, a.NumConvs,
            a.ConcatInput, cfg.NumClasses, a.Dropout, cfg.DecodeHead.AlignCorners, cfg.BnMomentum, cfg.BnEps);
    }

    public FcnHead(int inChannels, int inIndex, int channels, int numConvs, bool concatInput, int numClasses,
        double dropoutRatio, bool alignCorners, double bnMomentum = 0.1, double bnEps = 1e-5)
        : base(nameof(FcnHead), channels, numClasses, dropoutRatio, alignCorners)
    {
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
