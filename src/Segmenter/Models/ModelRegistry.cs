using Segmenter.Config;
using Segmenter.Losses;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Segmentors;

namespace Segmenter.Models;

/// <summary>
/// The registries of every model part: the only lists of allowed `type` values (ConfigValidator and its
/// "did you mean" hint read them) and the builders <see cref="ModelFactory"/> calls. Adding a part is one new file
/// (the class, with a constructor or static builder taking the config) plus one line here; keys that only the new
/// type reads are named in its Register call (they must exist on the section's config record).
/// </summary>
public static class ModelRegistry
{
    /// <summary>model.type: builds the whole model from the model config and the largest input side.</summary>
    public static PartRegistry<Func<ModelConfig, int, Segmentor>> Segmentors { get; } = new("model.type", "model type");

    /// <summary>model.backbone.type</summary>
    public static PartRegistry<Func<ModelConfig, int, Backbone>> Backbones { get; } = new("model.backbone.type", "backbone type");

    /// <summary>model.decode_head.type: builds the head on the backbone's stages (see <see cref="ModelFactory.StageChannels"/>).</summary>
    public static PartRegistry<Func<ModelConfig, Backbone, DecodeHead>> DecodeHeads { get; } = new("model.decode_head.type", "decode head type");

    /// <summary>model.aux_head.type (called only when model.aux_head is not null).</summary>
    public static PartRegistry<Func<ModelConfig, Backbone, DecodeHead>> AuxHeads { get; } = new("model.aux_head.type", "auxiliary head type");

    /// <summary>model.loss.type; the flag says whether OHEM (model.loss.ohem) applies to this use.</summary>
    public static PartRegistry<Func<LossConfig, bool, CrossEntropyLoss>> Losses { get; } = new("model.loss.type", "loss type");

    private static readonly Dictionary<string, SegmentationTask> SegmentorTasks = new(StringComparer.Ordinal);

    /// <summary>The task a model.type serves (decides the data targets and the evaluator), known before the model is built.</summary>
    public static SegmentationTask TaskOf(string modelType) =>
        SegmentorTasks.TryGetValue(modelType, out var task) ? task : throw Segmentors.Unknown(modelType);

    /// <summary>model.type's default: the semantic encoder-decoder (mmseg EncoderDecoder).</summary>
    public const string DefaultSegmentor = "encoder_decoder";

    /// <summary>The registered model types that serve <paramref name="task"/>, for messages.</summary>
    public static IReadOnlyList<string> TypesOf(SegmentationTask task) =>
        SegmentorTasks.Where(kv => kv.Value == task).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    private static void RegisterSegmentor(string name, SegmentationTask task, Func<ModelConfig, int, Segmentor> build, params string[] reads)
    {
        Segmentors.Register(name, build, reads);
        SegmentorTasks[name] = task;
    }

    static ModelRegistry()
    {
        RegisterSegmentor(DefaultSegmentor, SegmentationTask.Semantic, ModelFactory.CreateEncoderDecoder, "decode_head", "aux_head");
        RegisterSegmentor("panoptic_deeplab", SegmentationTask.Panoptic, (cfg, inputSize) => ModelFactory.CreatePanoptic(cfg, inputSize), "panoptic");

        Backbones.Register("resnet", (cfg, _) => new ResNet(cfg.Backbone, cfg.BnMomentum, cfg.BnEps), "contract_dilation", "stem_channels");
        Backbones.Register("axial_resnet", (cfg, inputSize) => new AxialResNet(cfg.Backbone, ModelFactory.AxialInputSize(cfg, inputSize)), "axial");

        DecodeHeads.Register("deeplabv3plus", DepthwiseSeparableAsppHead.Build, "dilations", "c1_channels", "c1_in_index");
        DecodeHeads.Register("fcn", FcnHead.BuildDecode);
        DecodeHeads.Register("isa", IsaDecodeHead.Build, "isa_channels", "down_factor");

        AuxHeads.Register("fcn", FcnHead.BuildAux);

        Losses.Register("cross_entropy", (cfg, withOhem) => new CrossEntropyLoss(cfg.IgnoreIndex, cfg.ClassWeight,
            withOhem && cfg.Ohem is { } o ? new OhemPixelSampler(o.Thresh, o.MinKept) : null, CrossEntropyLoss.ReductionOf(cfg)));
    }
}
