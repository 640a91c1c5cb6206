using Segmenter.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Panoptic;

/// <summary>
/// bowenc0221 PanopticDeepLabDecoder: `semantic_decoder` + `semantic_head` (classifier.semantic) and the class-agnostic
/// `instance_decoder` + `instance_head` (classifier.center, classifier.offset). Outputs are at the lowest-level
/// feature's stride (OS4).
/// </summary>
public sealed class PanopticDeepLabDecoder : nn.Module<Tensor[], Dictionary<string, Tensor>>
{
    private readonly SinglePanopticDeepLabDecoder semantic_decoder;
    private readonly SinglePanopticDeepLabHead semantic_head;
    private readonly SinglePanopticDeepLabDecoder instance_decoder;
    private readonly SinglePanopticDeepLabHead instance_head;

    public PanopticDeepLabDecoder(PanopticDecoderSpec s) : base(nameof(PanopticDeepLabDecoder))
    {
        semantic_decoder = new SinglePanopticDeepLabDecoder(s.InChannels, s.FeatureIndex, s.LowLevelChannels, s.LowLevelIndex,
            s.LowLevelChannelsProject, s.DecoderChannels, s.AtrousRates, s.DecoderChannels, s.UseAspp, s.BnMomentum, s.BnEps, s.AsppDropout);
        semantic_head = new SinglePanopticDeepLabHead(s.DecoderChannels, s.DecoderChannels, [("semantic", s.NumClasses)], s.BnMomentum, s.BnEps);
        instance_decoder = new SinglePanopticDeepLabDecoder(s.InChannels, s.FeatureIndex, s.LowLevelChannels, s.LowLevelIndex,
            s.InstanceLowLevelChannelsProject, s.InstanceDecoderChannels, s.AtrousRates, s.InstanceAsppChannels, s.UseAspp, s.BnMomentum, s.BnEps, s.AsppDropout);
        instance_head = new SinglePanopticDeepLabHead(s.InstanceDecoderChannels, s.InstanceHeadChannels ?? s.InstanceDecoderChannels,
            [("center", 1), ("offset", 2)], s.BnMomentum, s.BnEps);
        RegisterComponents();
        PanopticConvs.InitDecoder(this);
    }

    /// <summary>semantic [N, C, h, w], center [N, 1, h, w], offset [N, 2, h, w] at the decoder's resolution.</summary>
    public override Dictionary<string, Tensor> forward(Tensor[] features)
    {
        using var scope = NewDisposeScope();
        var result = semantic_head.forward(semantic_decoder.forward(features));
        foreach (var (k, v) in instance_head.forward(instance_decoder.forward(features))) result[k] = v;
        foreach (var v in result.Values) v.MoveToOuterDisposeScope();
        return result;
    }

    public Dictionary<string, string> EmitOnnx(OnnxGraphBuilder g, string[] features)
    {
        var result = semantic_head.EmitOnnx(g, semantic_decoder.EmitOnnx(g, features));
        foreach (var (k, v) in instance_head.EmitOnnx(g, instance_decoder.EmitOnnx(g, features))) result[k] = v;
        return result;
    }
}

/// <summary>Widths and feature indices of the dual decoder (defaults: bowenc0221 Cityscapes R50 OS16 config).</summary>
public sealed record PanopticDecoderSpec
{
    public int InChannels { get; init; } = 2048;
    public int FeatureIndex { get; init; } = 3;
    /// <summary>Top-down: res3 (OS8) then res2 (OS4).</summary>
    public IReadOnlyList<int> LowLevelChannels { get; init; } = [512, 256];
    public IReadOnlyList<int> LowLevelIndex { get; init; } = [1, 0];
    public IReadOnlyList<int> LowLevelChannelsProject { get; init; } = [64, 32];
    public int DecoderChannels { get; init; } = 256;
    public IReadOnlyList<int> AtrousRates { get; init; } = [6, 12, 18];
    public bool UseAspp { get; init; } = true;
    public double AsppDropout { get; init; } = 0.5;
    public IReadOnlyList<int> InstanceLowLevelChannelsProject { get; init; } = [32, 16];
    public int InstanceDecoderChannels { get; init; } = 128;
    public int InstanceAsppChannels { get; init; } = 256;
    /// <summary>Width of the centre/offset heads' 5x5 conv (bowenc0221 INSTANCE.HEAD_CHANNELS); null = InstanceDecoderChannels.</summary>
    public int? InstanceHeadChannels { get; init; }
    public int NumClasses { get; init; } = 19;
    public double BnMomentum { get; init; } = 0.01;
    public double BnEps { get; init; } = 1e-5;
}
