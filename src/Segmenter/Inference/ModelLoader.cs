using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using Segmenter.Checkpoints;

namespace Segmenter.Inference;

/// <summary>Builds the config's model on its device (train.device) and fills it from weights read by
/// <see cref="WeightsReader"/> (strict: every tensor, same shapes), in eval mode; one path for both tasks.</summary>
public static class ModelLoader
{
    /// <summary>A semantic model (EncoderDecoder).</summary>
    public static (Segmentor Model, torch.Device Device) Load(ExperimentConfig cfg, string weightsPath) => Load(cfg, weightsPath, out _);

    /// <summary>
    /// A semantic model, and in <paramref name="resolved"/> the config with the class names and palette of the
    /// checkpoint's meta filled in where the config names none (<see cref="CheckpointMeta"/>); what predict, eval and
    /// the embedding API name and colour classes with.
    /// </summary>
    public static (Segmentor Model, torch.Device Device) Load(ExperimentConfig cfg, string weightsPath, out ExperimentConfig resolved)
    {
        ExperimentConfig withMeta = cfg;
        var loaded = Load(cfg, weightsPath, c => ModelFactory.Create(c.Model, ModelFactory.InputSizeOf(c)), ckpt => withMeta = CheckpointMeta.Apply(cfg, ckpt));
        resolved = withMeta;
        return loaded;
    }

    /// <summary>A Panoptic-DeepLab / Axial-DeepLab model.</summary>
    public static (PanopticDeepLab Model, torch.Device Device) LoadPanoptic(ExperimentConfig cfg, string weightsPath) =>
        Load(cfg, weightsPath, c => ModelFactory.CreatePanoptic(c.Model, ModelFactory.InputSizeOf(c)), null);

    private static (T Model, torch.Device Device) Load<T>(ExperimentConfig cfg, string weightsPath, Func<ExperimentConfig, T> create,
        Action<Checkpoint>? readMeta)
        where T : torch.nn.Module
    {
        var device = DeviceSelector.Parse(cfg.Train.Device);
        using var ckpt = WeightsReader.Read(weightsPath);
        var model = create(cfg);
        ckpt.ApplyTo(model, null, restoreRng: false);
        readMeta?.Invoke(ckpt);
        model.to(device);
        model.eval();
        return (model, device);
    }
}
