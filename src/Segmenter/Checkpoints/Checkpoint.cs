using Segmenter.Models;
using Segmenter.Training;
using Segmenter.Config;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Checkpoints;

/// <summary>
/// Everything needed to continue a run bit-identically: the model state dict (parameters and buffers, incl. BN
/// running stats and num_batches_tracked), the optimizer state, the torch CPU RNG state, plus the config text,
/// an architecture signature and free-form extra JSON (best metric, data-sampler position, ...).
/// Owns its tensors (CPU copies); dispose it when done.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public const int FormatVersion = 1;

    /// <summary>Completed iterations when the checkpoint was taken.</summary>
    public required long Iteration { get; init; }
    public required Dictionary<string, Tensor> Model { get; init; }
    public Dictionary<string, Tensor> Optimizer { get; init; } = new(StringComparer.Ordinal);
    /// <summary>torch.get_rng_state() (CPU generator); null = not recorded.</summary>
    public Tensor? RngState { get; init; }
    public string ConfigYaml { get; init; } = "";
    public string Architecture { get; init; } = "";
    public string ExtraJson { get; init; } = "{}";
    /// <summary>The file it came from (for messages), or "&lt;memory&gt;".</summary>
    public string Source { get; init; } = "<memory>";
    /// <summary>Class names a .pth records in its meta (MMSegmentation <c>meta.CLASSES</c>, <c>meta.dataset_meta.classes</c>); null = none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>Colours a .pth records in its meta (<c>meta.PALETTE</c>, <c>meta.dataset_meta.palette</c>), one per class; null = none.</summary>
    public IReadOnlyList<(byte R, byte G, byte B)>? Palette { get; init; }

    /// <summary>
    /// A short signature of what determines the state-dict layout: model type / backbone / heads / classes, e.g.
    /// "encoder_decoder/resnet50/deeplabv3plus+fcn/num_classes=21" or, for a panoptic model (whose heads are its two
    /// decoders; decode_head and aux_head are not read), "panoptic_deeplab/resnet50/semantic256+instance128-aspp/num_classes=19".
    /// The task comes from the model registry (<see cref="ModelFactory.TaskOf"/>), so a new model type needs no change here.
    /// </summary>
    public static string ArchitectureOf(ModelConfig m)
    {
        string backbone = $"{m.Backbone.Type}{m.Backbone.Depth}{(m.Backbone.DeepStem ? "-deepstem" : "")}" +
            $"{(m.Backbone.Attention.Type != "none" ? $"-{m.Backbone.Attention.Type}-{m.Backbone.Attention.Layout}" : "")}";
        string heads = ModelFactory.TaskOf(m) switch
        {
            Models.Segmentors.SegmentationTask.Panoptic =>
                $"semantic{m.Panoptic.DecoderChannels}+instance{m.Panoptic.InstanceDecoderChannels}-{(m.Panoptic.UseAspp ? "aspp" : "1x1")}",
            _ => $"{m.DecodeHead.Type}{(m.AuxHead is { } aux ? "+" + aux.Type : "")}",
        };
        return $"{m.Type}/{backbone}/{heads}/num_classes={m.NumClasses}";
    }

    /// <summary>Snapshots (copies to the CPU) the model, optimizer and RNG state now.</summary>
    public static Checkpoint Capture(long iteration, nn.Module model, IOptimizer? optimizer, string configYaml = "",
        string architecture = "", string extraJson = "{}")
    {
        var modelState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (torch.no_grad())
        using (var scope = NewDisposeScope())
            foreach (var (key, t) in model.state_dict())
                modelState[key] = t.detach().cpu().clone().DetachFromDisposeScope();
        return new Checkpoint
        {
            Iteration = iteration,
            Model = modelState,
            Optimizer = optimizer?.StateDict() ?? new Dictionary<string, Tensor>(StringComparer.Ordinal),
            RngState = torch.get_rng_state().DetachFromDisposeScope(),
            ConfigYaml = configYaml,
            Architecture = architecture,
            ExtraJson = extraJson,
        };
    }

    /// <summary>
    /// Copies the state into <paramref name="model"/> (and <paramref name="optimizer"/>), then restores the RNG.
    /// Checks first that every model key exists with the same shape (and no extra keys), so nothing is half-applied.
    /// </summary>
    public void ApplyTo(nn.Module model, IOptimizer? optimizer, bool restoreRng = true)
    {
        var target = model.state_dict();
        CheckCompatible(target);
        if (optimizer is not null && Optimizer.Count == 0)
            throw new SegmenterException("the checkpoint holds no optimizer state", Source, "resume from an iter_*.ckpt written by training, or load it as weights only");
        using (torch.no_grad())
            foreach (var (key, t) in target)
                t.copy_(Model[key]);
        optimizer?.LoadStateDict(Optimizer);
        if (restoreRng && RngState is not null) torch.set_rng_state(RngState);
    }

    private void CheckCompatible(Dictionary<string, Tensor> target)
    {
        // num_classes is the common mismatch: name it with the value that would fit.
        foreach (var (key, t) in target)
            if (key.EndsWith("conv_seg.weight", StringComparison.Ordinal) && Model.TryGetValue(key, out var c) &&
                c.shape.Length > 0 && t.shape.Length > 0 && c.shape[0] != t.shape[0])
                throw new SegmenterException(
                    $"checkpoint {Source} was trained with num_classes {c.shape[0]} ({key} {Shape(c.shape)}), the config has {t.shape[0]}",
                    fix: $"use the matching config or --cfg-options model.num_classes={c.shape[0]}");
        string arch = string.IsNullOrEmpty(Architecture) ? "" : $" (checkpoint architecture: {Architecture})";
        const string fix = "use the config the checkpoint was trained with (it is stored in the checkpoint)";
        foreach (var (key, t) in target)
        {
            if (!Model.TryGetValue(key, out var c))
                throw new SegmenterException($"checkpoint {Source} has no '{key}', which the model has{arch}", fix: fix);
            if (!c.shape.SequenceEqual(t.shape))
                throw new SegmenterException(
                    $"checkpoint {Source} has '{key}' with shape {Shape(c.shape)}, the model has {Shape(t.shape)}{arch}", fix: fix);
        }
        if (Model.Keys.FirstOrDefault(k => !target.ContainsKey(k)) is { } extra)
            throw new SegmenterException($"checkpoint {Source} has '{extra}', which the model lacks{arch}", fix: fix);
    }

    private static string Shape(long[] s) => $"[{string.Join(",", s)}]";

    public void Dispose()
    {
        foreach (var t in Model.Values) t.Dispose();
        foreach (var t in Optimizer.Values) t.Dispose();
        RngState?.Dispose();
    }
}
