using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// DeepLabV3+ head as mmseg's DepthwiseSeparableASPPHead (REFERENCE 2.1), same parameter names: image pooling
/// branch, ASPP (dilation 1 = 1x1 ConvModule, others depthwise-separable 3x3 with padding = dilation), a plain 3x3
/// `bottleneck`, the low-level projection `c1_bottleneck`, two separable 3x3 `sep_bottleneck` convs, classifier.
/// </summary>
public sealed class DepthwiseSeparableAsppHead : DecodeHead, IOnnxDecodeHead
{
    private readonly Sequential image_pool;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> aspp_modules;
    private readonly ConvModule bottleneck;
    private readonly ConvModule? c1_bottleneck;
    private readonly Sequential sep_bottleneck;
    private readonly int _inIndex;
    private readonly int _c1InIndex;

    /// <summary>Registry builder (decode_head.type deeplabv3plus): reads in_index, channels, dilations, c1_in_index, c1_channels.</summary>
    public static DepthwiseSeparableAsppHead Build(Config.ModelConfig cfg, Backbones.Backbone backbone)
    {
        var h = cfg.DecodeHead;
        return new DepthwiseSeparableAsppHead(ModelFactory.StageChannels(backbone, h.InIndex, "model.decode_head.in_index"), h.InIndex,
            h.Channels, h.Dilations, ModelFactory.StageChannels(backbone, h.C1InIndex, "model.decode_head.c1_in_index"), h.C1InIndex,
            h.C1Channels, cfg.NumClasses, h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps);
    }

    /// <param name="inChannels">Width of the stage at <paramref name="inIndex"/>.</param>
    /// <param name="c1InChannels">Width of the low-level stage at <paramref name="c1InIndex"/>; 0 = no decoder skip (plain ASPP + sep convs).</param>
    public DepthwiseSeparableAsppHead(int inChannels, int inIndex, int channels, IReadOnlyList<int> dilations,
        int c1InChannels, int c1InIndex, int c1Channels, int numClasses, double dropoutRatio, bool alignCorners,
        double bnMomentum = 0.1, double bnEps = 1e-5)
        : base(nameof(DepthwiseSeparableAsppHead), channels, numClasses, dropoutRatio, alignCorners)
    {
        _inIndex = inIndex;
        _c1InIndex = c1InIndex;
        image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), new ConvModule(inChannels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps));
        aspp_modules = new ModuleList<nn.Module<Tensor, Tensor>>(dilations.Select(d => d == 1
            ? (nn.Module<Tensor, Tensor>)new ConvModule(inChannels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps)
            : new DepthwiseSeparableConvModule(inChannels, channels, 3, padding: d, dilation: d, bnMomentum: bnMomentum, bnEps: bnEps)).ToArray());
        bottleneck = new ConvModule((dilations.Count + 1) * channels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps);
        if (c1InChannels > 0)
            c1_bottleneck = new ConvModule(c1InChannels, c1Channels, 1, bnMomentum: bnMomentum, bnEps: bnEps);
        sep_bottleneck = nn.Sequential(
            new DepthwiseSeparableConvModule(channels + (c1InChannels > 0 ? c1Channels : 0), channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps),
            new DepthwiseSeparableConvModule(channels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps));
        RegisterComponents();
    }

    public override Tensor forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = Pick(inputs, _inIndex, "model.decode_head.in_index");
        long h = x.shape[2], w = x.shape[3];
        var branches = new List<Tensor> { Resize(image_pool.forward(x), h, w) };
        foreach (var m in aspp_modules) branches.Add(m.forward(x));
        var output = bottleneck.forward(torch.cat(branches, 1));
        if (c1_bottleneck is not null)
        {
            var c1 = c1_bottleneck.forward(Pick(inputs, _c1InIndex, "model.decode_head.c1_in_index"));
            output = torch.cat([Resize(output, c1.shape[2], c1.shape[3]), c1], 1);
        }
        output = sep_bottleneck.forward(output);
        return ClsSeg(output).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string[] inputs)
    {
        var x = inputs[_inIndex];
        var branches = new List<string> { g.ResizeLike(g.Emit(image_pool, x), x, AlignCorners) };
        foreach (var m in aspp_modules) branches.Add(g.Emit(m, x));
        var output = bottleneck.EmitOnnx(g, g.Concat(1, branches.ToArray()));
        if (c1_bottleneck is not null)
        {
            var c1 = c1_bottleneck.EmitOnnx(g, inputs[_c1InIndex]);
            output = g.Concat(1, g.ResizeLike(output, c1, AlignCorners), c1);
        }
        return EmitClsSeg(g, g.Emit(sep_bottleneck, output));
    }
}
