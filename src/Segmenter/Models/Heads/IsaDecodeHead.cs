using Segmenter.Models.Attention;
using Segmenter.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Heads;

/// <summary>
/// ISANet decode head (mmseg ISAHead, REFERENCE 4.4) on one backbone stage: <c>in_conv</c> 3×3 ConvModule,
/// interlaced sparse self-attention (<c>global_relation</c> over pixels with a long spatial interval, then
/// <c>local_relation</c> inside each <c>down_factor</c> block, zero padding to a multiple of the block and cropping
/// back), <c>out_conv</c> 1×1 on cat([context, residual]), then dropout and <c>conv_seg</c>. The names are mmseg's,
/// so under an EncoderDecoder they read <c>decode_head.in_conv.conv.weight</c>, ... <c>decode_head.conv_seg.weight</c>.
/// </summary>
public sealed class IsaDecodeHead : DecodeHead, IOnnxDecodeHead
{
    private readonly ConvModule in_conv;
    private readonly MmsegSelfAttentionBlock global_relation;
    private readonly MmsegSelfAttentionBlock local_relation;
    private readonly ConvModule out_conv;
    private readonly int _inIndex;

    /// <summary>Registry builder (decode_head.type isa): reads in_index, channels, isa_channels, down_factor.</summary>
    public static IsaDecodeHead Build(Config.ModelConfig cfg, Backbones.Backbone backbone)
    {
        var h = cfg.DecodeHead;
        return new IsaDecodeHead(ModelFactory.StageChannels(backbone, h.InIndex, "model.decode_head.in_index"), h.InIndex, h.Channels,
            h.IsaChannels, h.DownFactor, cfg.NumClasses, h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps);
    }

    /// <param name="inChannels">Width of the stage at <paramref name="inIndex"/> (2048 for ResNet-50/101 layer4).</param>
    /// <param name="channels">Head width (mmseg 512).</param>
    /// <param name="isaChannels">Key/query width of both attentions (mmseg 256).</param>
    /// <param name="downFactor">Local block size (P_h, P_w), mmseg (8, 8).</param>
    public IsaDecodeHead(int inChannels, int inIndex, int channels, int isaChannels, (int H, int W) downFactor, int numClasses,
        double dropoutRatio, bool alignCorners, double bnMomentum = 0.1, double bnEps = 1e-5)
        : base(nameof(IsaDecodeHead), channels, numClasses, dropoutRatio, alignCorners)
    {
        _inIndex = inIndex;
        DownFactor = downFactor;
        in_conv = new ConvModule(inChannels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps);
        global_relation = new MmsegSelfAttentionBlock(channels, isaChannels, bnMomentum, bnEps);
        local_relation = new MmsegSelfAttentionBlock(channels, isaChannels, bnMomentum, bnEps);
        out_conv = new ConvModule(channels * 2, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps);
        RegisterComponents();
    }

    public (int H, int W) DownFactor { get; }

    public override Tensor forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = Pick(inputs, _inIndex, "model.decode_head.in_index");
        var feat = IsaHead.Attend(in_conv, global_relation, local_relation, out_conv, DownFactor, x);
        return ClsSeg(feat).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string[] inputs) =>
        EmitClsSeg(g, IsaHead.EmitAttend(g, in_conv, global_relation, local_relation, out_conv, DownFactor, inputs[_inIndex]));
}
