using Segmenter.Config;
using Segmenter.Losses;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Panoptic;
using Segmenter.Models.Segmentors;
using Segmenter.Checkpoints;

namespace Segmenter.Models;

/// <summary>Builds a segmentor from the model config: one switch per family, so the choices are listed here.</summary>
public static class ModelFactory
{
    /// <param name="inputSize">Largest input side (e.g. the larger crop side); only axial_resnet uses it, when axial.input_size is null.</param>
    public static Segmentor Create(ModelConfig cfg, int inputSize = 0)
    {
        if (cfg.NumClasses < 1)
            throw new SegmenterException($"num_classes is {cfg.NumClasses}", "model.num_classes", "set the number of classes (>= 1)");
        return cfg.Type switch
        {
            "encoder_decoder" => CreateEncoderDecoder(cfg, inputSize),
            "panoptic_deeplab" => CreatePanoptic(cfg, inputSize),
            _ => throw new SegmenterException($"unknown model type '{cfg.Type}'", "model.type", "use encoder_decoder or panoptic_deeplab"),
        };
    }

    /// <summary>The task a model type serves (decides the data targets and the evaluator), known before the model is built.</summary>
    public static SegmentationTask TaskOf(ModelConfig cfg) => cfg.Type == "panoptic_deeplab" ? SegmentationTask.Panoptic : SegmentationTask.Semantic;

    /// <summary>Panoptic-DeepLab (or Axial-DeepLab on an axial_resnet backbone) from model.panoptic and the backbone config.</summary>
    public static PanopticDeepLab CreatePanoptic(ModelConfig cfg, int inputSize = 0)
    {
        if (cfg.Type != "panoptic_deeplab")
            throw new SegmenterException($"model type '{cfg.Type}' is not panoptic", "model.type", "use panoptic_deeplab");
        if (cfg.NumClasses < 1)
            throw new SegmenterException($"num_classes is {cfg.NumClasses}", "model.num_classes", "set the number of classes (>= 1)");
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

    public static Backbone CreateBackbone(ModelConfig cfg, int inputSize = 0) => cfg.Backbone.Type switch
    {
        "resnet" => new ResNet(cfg.Backbone, cfg.BnMomentum, cfg.BnEps),
        "axial_resnet" => new AxialResNet(cfg.Backbone, cfg.Backbone.Axial.InputSize ?? (inputSize > 0 ? inputSize
            : throw new SegmenterException("the Axial-ResNet input size is unknown", "model.backbone.axial.input_size",
                "set it to the larger side of the crop size (the largest input the model will see)"))),
        _ => throw new SegmenterException($"unknown backbone type '{cfg.Backbone.Type}'", "model.backbone.type", "use resnet or axial_resnet"),
    };

    public static DecodeHead CreateDecodeHead(ModelConfig cfg, Backbone backbone)
    {
        var h = cfg.DecodeHead;
        int inChannels = StageChannels(backbone, h.InIndex, "model.decode_head.in_index");
        return h.Type switch
        {
            "deeplabv3plus" => new DepthwiseSeparableAsppHead(inChannels, h.InIndex, h.Channels, h.Dilations,
                h.C1Channels > 0 ? StageChannels(backbone, h.C1InIndex, "model.decode_head.c1_in_index") : 0, h.C1InIndex, h.C1Channels,
                cfg.NumClasses, h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps),
            "fcn" => new FcnHead(inChannels, h.InIndex, h.Channels, 2, true, cfg.NumClasses, h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps),
            "isa" => new IsaDecodeHead(inChannels, h.InIndex, h.Channels, h.IsaChannels, h.DownFactor, cfg.NumClasses,
                h.Dropout, h.AlignCorners, cfg.BnMomentum, cfg.BnEps),
            _ => throw new SegmenterException($"unknown decode head type '{h.Type}'", "model.decode_head.type", "use deeplabv3plus, fcn or isa"),
        };
    }

    public static DecodeHead? CreateAuxHead(ModelConfig cfg, Backbone backbone)
    {
        if (cfg.AuxHead is not { } a) return null;
        int inChannels = StageChannels(backbone, a.InIndex, "model.aux_head.in_index");
        return a.Type switch
        {
            "fcn" => new FcnHead(inChannels, a.InIndex, a.Channels, a.NumConvs, a.ConcatInput, cfg.NumClasses, a.Dropout,
                cfg.DecodeHead.AlignCorners, cfg.BnMomentum, cfg.BnEps),
            _ => throw new SegmenterException($"unknown auxiliary head type '{a.Type}'", "model.aux_head.type", "use fcn, or aux_head: null for none"),
        };
    }

    public static CrossEntropyLoss CreateLoss(LossConfig cfg, bool withOhem) => cfg.Type switch
    {
        "cross_entropy" => new CrossEntropyLoss(cfg.IgnoreIndex, cfg.ClassWeight,
            withOhem && cfg.Ohem is { } o ? new OhemPixelSampler(o.Thresh, o.MinKept) : null),
        _ => throw new SegmenterException($"unknown loss type '{cfg.Type}'", "model.loss.type", "use cross_entropy"),
    };

    private static EncoderDecoder CreateEncoderDecoder(ModelConfig cfg, int inputSize)
    {
        var backbone = CreateBackbone(cfg, inputSize);
        var decode = CreateDecodeHead(cfg, backbone);
        var aux = CreateAuxHead(cfg, backbone);
        // OHEM only on the decode head, as mmseg's *_ohem configs (the sampler is a decode_head setting).
        return new EncoderDecoder(backbone, decode, CreateLoss(cfg.Loss, withOhem: true), cfg.DecodeHead.LossWeight,
            aux, aux is null ? null : CreateLoss(cfg.Loss, withOhem: false), cfg.AuxHead?.LossWeight ?? 0);
    }

    /// <summary>The largest input side implied by the data config (the larger crop side), for <see cref="Create"/>'s inputSize.</summary>
    public static int InputSizeOf(ExperimentConfig cfg) => cfg.Data.TrainPipeline.CropSize.Max;

    private static int StageChannels(Backbone backbone, int index, string key) =>
        index >= 0 && index < backbone.OutChannels.Count ? backbone.OutChannels[index]
            : throw new SegmenterException($"stage index {index} is outside 0..{backbone.OutChannels.Count - 1}", key,
                $"use 0..{backbone.OutChannels.Count - 1} (layer1..layer{backbone.OutChannels.Count})");
}
