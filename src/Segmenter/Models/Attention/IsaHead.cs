using Segmenter.Models.Heads;
using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// mmseg <c>ISAHead</c> (decode_heads/isa_head.py), the re-implementation most ISANet checkpoints come from:
/// <c>in_conv</c> 3×3 ConvModule, interlaced <c>global_relation</c> then <c>local_relation</c> with local group size
/// <c>down_factor</c>, <c>out_conv</c> 1×1 ConvModule on cat([context, residual]) (context FIRST, unlike openseg).
/// With <see cref="WithClassifier"/> the BaseDecodeHead classifier follows: Dropout2d(dropout_ratio) and the
/// 1×1 <c>conv_seg</c> with bias to <c>num_classes</c>; without it the head returns the <c>channels</c> features.
/// This is the Tensor→Tensor form the parity fixtures exercise; training uses <see cref="IsaDecodeHead"/>, which has the
/// same submodules and names and runs the same <see cref="Attend"/>.
/// </summary>
public sealed class IsaHead : nn.Module<Tensor, Tensor>
{
    private readonly ConvModule in_conv;
    private readonly MmsegSelfAttentionBlock global_relation;
    private readonly MmsegSelfAttentionBlock local_relation;
    private readonly ConvModule out_conv;
    private readonly SeededDropout? dropout;
    private readonly Conv2dLayer? conv_seg;

    public int InChannels { get; }
    public int Channels { get; }
    public int IsaChannels { get; }
    public (int H, int W) DownFactor { get; }
    public bool WithClassifier { get; }
    public int NumClasses { get; }

    public IsaHead(int in_channels, int channels, int isa_channels, (int H, int W)? down_factor = null,
        bool withClassifier = false, int num_classes = 0, double dropout_ratio = 0.1) : base("ISAHead")
    {
        DownFactor = down_factor ?? (8, 8);
        IsaInterlacing.Validate(DownFactor, "IsaHead");
        if (in_channels <= 0 || channels <= 0 || isa_channels <= 0)
            throw new SegmenterException($"ISAHead channels must be positive, got in {in_channels}, channels {channels}, isa {isa_channels}", "IsaHead", "check the decode head config");
        if (withClassifier && num_classes <= 0)
            throw new SegmenterException($"ISAHead with a classifier needs num_classes > 0, got {num_classes}", "IsaHead", "set num_classes");
        if (dropout_ratio < 0 || dropout_ratio >= 1)
            throw new SegmenterException($"ISAHead dropout_ratio {dropout_ratio} must be in [0, 1)", "IsaHead", "use e.g. 0.1");
        InChannels = in_channels;
        Channels = channels;
        IsaChannels = isa_channels;
        WithClassifier = withClassifier;
        NumClasses = withClassifier ? num_classes : 0;

        in_conv = new ConvModule(in_channels, channels, 3, padding: 1);
        global_relation = new MmsegSelfAttentionBlock(channels, isa_channels);
        local_relation = new MmsegSelfAttentionBlock(channels, isa_channels);
        out_conv = new ConvModule(channels * 2, channels, 1);
        if (withClassifier)
        {
            if (dropout_ratio > 0) dropout = SeededDropout.Channelwise(dropout_ratio);
            conv_seg = Conv2dLayer.Create(channels, num_classes, 1, bias: true);
        }
        RegisterComponents();
        if (conv_seg is not null)
        {
            // mmseg BaseDecodeHead.init_weights: normal_init(conv_seg, mean 0, std 0.01), bias 0.
            using var noGrad = torch.no_grad();
            nn.init.normal_(conv_seg.weight!, 0, 0.01);
            nn.init.zeros_(conv_seg.bias!);
        }
    }

    /// <summary>The head's features before the classifier: [N, channels, H, W].</summary>
    public Tensor Features(Tensor x)
    {
        return Attend(in_conv, global_relation, local_relation, out_conv, DownFactor, x);
    }

    /// <summary>
    /// mmseg ISAHead.forward up to the classifier: in_conv, interlaced global then local relation, out_conv on
    /// cat([context, residual]). Shared by this module and <see cref="IsaDecodeHead"/>.
    /// </summary>
    internal static Tensor Attend(ConvModule inConv, MmsegSelfAttentionBlock globalRelation, MmsegSelfAttentionBlock localRelation,
        ConvModule outConv, (int H, int W) downFactor, Tensor x)
    {
        using var scope = NewDisposeScope();
        var feat = inConv.forward(x);
        var attended = IsaInterlacing.Apply(feat, downFactor, globalRelation.forward, localRelation.forward);
        return outConv.forward(torch.cat(new[] { attended, feat }, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>ONNX nodes of <see cref="Attend"/>.</summary>
    internal static string EmitAttend(OnnxGraphBuilder g, ConvModule inConv, MmsegSelfAttentionBlock globalRelation, MmsegSelfAttentionBlock localRelation,
        ConvModule outConv, (int H, int W) downFactor, string x)
    {
        var feat = inConv.EmitOnnx(g, x);
        var attended = IsaInterlacing.EmitApply(g, feat, downFactor, v => globalRelation.EmitOnnx(g, v), v => localRelation.EmitOnnx(g, v));
        return outConv.EmitOnnx(g, g.Concat(1, attended, feat));
    }

    /// <summary>Logits [N, num_classes, H, W] with the classifier, otherwise the features.</summary>
    public override Tensor forward(Tensor x)
    {
        if (conv_seg is null) return Features(x);
        using var scope = NewDisposeScope();
        var feat = Features(x);
        if (dropout is not null) feat = dropout.forward(feat);
        return conv_seg.forward(feat).MoveToOuterDisposeScope();
    }
}
