using Segmenter.Config;
using Segmenter.Losses;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Panoptic;
using Segmenter.Models.Segmentors;
using Segmenter.Checkpoints;

namespace Segmenter.Models;

/// <summary>
/// Builds a model from the model config. Every `type` value is looked up in <see cref="ModelRegistry"/> (the only list
/// of choices); values were validated once by ConfigValidator when the config was loaded, so nothing is re-checked here.
/// </summary>
public static class ModelFactory
{
    /// <summary>The model of model.type, through <see cref="ModelRegistry.Segmentors"/>.</summary>
    /// <param name="inputSize">Largest input side (e.g. the larger crop side); only axial_resnet uses it, when axial.input_size is null.</param>
    public static Segmentor Create(ModelConfig cfg, int inputSize = 0) => ModelRegistry.Segmentors.Get(cfg.Type)(cfg, inputSize);

    /// <summary>The task a model type serves (decides the data targets and the evaluator), known before the model is built.</summary>
    public static SegmentationTask TaskOf(ModelConfig cfg) => ModelRegistry.TaskOf(cfg.Type);

    /// <summary>Panoptic-DeepLab (or Axial-DeepLab on an axial_resnet backbone) from model.panoptic and the backbone config.</summary>
    public static PanopticDeepLab CreatePanoptic(ModelConfig cfg, int inputSize = 0)
    {
        if (TaskOf(cfg) != SegmentationTask.Panoptic)
            throw new SegmenterException($"model type '{cfg.Type}' is not panoptic", "model.type",
                $"use a panoptic type: {string.Join(", ", ModelRegistry.TypesOf(SegmentationTask.Panoptic))}");
        var p = cfg.Panoptic;
        var backbone = CreateBackbone(cfg, inputSize);
        var spec = new PanopticDecoderSpec
        {
            InChannels = StageChannels(backbone, p.FeatureIndex, "model.panoptic.feature_index"),
            FeatureIndex = p.FeatureIndex,
            LowLevelChannels = p.LowLevelIndex.Select(i => StageChannels(backbone, i, "model.panoptic.low_level_index")).ToList(),
            LowLevelIndex = p.LowLevelIndex,
            LowLevelChannelsProject = p.LowLevelChannelsProject,
            DecoderChannels = p.DecoderChannels,
            AtrousRates = p.AtrousRates,
            UseAspp = p.UseAspp,
            AsppDropout = p.AsppDropout,
            InstanceLowLevelChannelsProject = p.InstanceLowLevelChannelsProject,
            InstanceDecoderChannels = p.InstanceDecoderChannels,
            InstanceAsppChannels = p.InstanceAsppChannels,
            InstanceHeadChannels = p.InstanceHeadChannels ?? p.InstanceDecoderChannels,
            NumClasses = cfg.NumClasses,
            BnMomentum = cfg.BnMomentum,
            BnEps = cfg.BnEps,
        };
        return new PanopticDeepLab(backbone, spec, new DeepLabCrossEntropy(cfg.Loss.IgnoreIndex, p.TopKPercent),
            p.SemanticLossWeight, p.CenterLossWeight, p.OffsetLossWeight);
    }

    /// <summary>
    /// Imports model.backbone.pretrained into a fresh model's backbone (call at a fresh start, not on resume);
    /// null when no file is configured. Log <see cref="LoadReport.Summary"/>.
    /// </summary>
    public static LoadReport? LoadPretrained(Segmentor model, ModelConfig cfg)
    {
        if (cfg.Backbone.Pretrained is not { Length: > 0 } path) return null;
        return model switch
        {
            EncoderDecoder ed => PretrainedLoader.LoadBackbone(ed.Backbone, path),
            PanopticDeepLab pd => PretrainedLoader.LoadBackbone(pd.Backbone, path),
            _ => throw new SegmenterException($"pretrained backbone weights are not supported for model type '{cfg.Type}'",
                "model.backbone.pretrained", "set it to null"),
        };
    }

    /// <summary>The backbone of model.backbone.type, through <see cref="ModelRegistry.Backbones"/>.</summary>
    public static Backbone CreateBackbone(ModelConfig cfg, int inputSize = 0) => ModelRegistry.Backbones.Get(cfg.Backbone.Type)(cfg, inputSize);

    /// <summary>The decode head of model.decode_head.type on <paramref name="backbone"/>'s stages.</summary>
    public static DecodeHead CreateDecodeHead(ModelConfig cfg, Backbone backbone) => ModelRegistry.DecodeHeads.Get(cfg.DecodeHead.Type)(cfg, backbone);

    /// <summary>The auxiliary head of model.aux_head.type, or null when model.aux_head is null.</summary>
    public static DecodeHead? CreateAuxHead(ModelConfig cfg, Backbone backbone) =>
        cfg.AuxHead is { } a ? ModelRegistry.AuxHeads.Get(a.Type)(cfg, backbone) : null;

    /// <summary>The loss of model.loss.type; <paramref name="withOhem"/> applies model.loss.ohem when it is set.</summary>
    public static CrossEntropyLoss CreateLoss(LossConfig cfg, bool withOhem) => ModelRegistry.Losses.Get(cfg.Type)(cfg, withOhem);

    /// <summary>encoder_decoder: backbone, decode head, optional auxiliary head and their losses.</summary>
    internal static EncoderDecoder CreateEncoderDecoder(ModelConfig cfg, int inputSize)
    {
        var backbone = CreateBackbone(cfg, inputSize);
        var decode = CreateDecodeHead(cfg, backbone);
        var aux = CreateAuxHead(cfg, backbone);
        // OHEM only on the decode head, as mmseg's *_ohem configs (the sampler is a decode_head setting).
        return new EncoderDecoder(backbone, decode, CreateLoss(cfg.Loss, withOhem: true), cfg.DecodeHead.LossWeight,
            aux, aux is null ? null : CreateLoss(cfg.Loss, withOhem: false), cfg.AuxHead?.LossWeight ?? 0);
    }

    /// <summary>axial.input_size, else the caller's input size; neither is a SegmenterException (the size sets the attention tables).</summary>
    internal static int AxialInputSize(ModelConfig cfg, int inputSize) => cfg.Backbone.Axial.InputSize ?? (inputSize > 0 ? inputSize
        : throw new SegmenterException("the Axial-ResNet input size is unknown", "model.backbone.axial.input_size",
            "set it to the larger side of the crop size (the largest input the model will see)"));

    /// <summary>The largest input side implied by the data config (the larger crop side), for <see cref="Create"/>'s inputSize.</summary>
    public static int InputSizeOf(ExperimentConfig cfg) => cfg.Data.TrainPipeline.CropSize.Max;

    /// <summary>The width of backbone stage <paramref name="index"/>, for head builders; <paramref name="key"/> names the config key
    /// in the error when the backbone has fewer stages (ConfigValidator allows 0..3, a backbone may have fewer).</summary>
    public static int StageChannels(Backbone backbone, int index, string key) =>
        index >= 0 && index < backbone.OutChannels.Count ? backbone.OutChannels[index]
            : throw new SegmenterException($"stage index {index} is outside 0..{backbone.OutChannels.Count - 1}", key,
                $"use 0..{backbone.OutChannels.Count - 1} (layer1..layer{backbone.OutChannels.Count})");
}
