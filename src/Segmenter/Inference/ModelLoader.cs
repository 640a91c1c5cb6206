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
    public static (Segmentor Model, torch.Device Device) Load(ExperimentConfig cfg, string weightsPath) =>
        Load(cfg, weightsPath, c => ModelFactory.Create(c.Model, ModelFactory.InputSizeOf(c)));

    /// <summary>A Panoptic-DeepLab / Axial-DeepLab model.</summary>
    public static (PanopticDeepLab Model, torch.Device Device) LoadPanoptic(ExperimentConfig cfg, string weightsPath) =>
        Load(cfg, weightsPath, c => ModelFactory.CreatePanoptic(c.Model, ModelFactory.InputSizeOf(c)));

    private static (T Model, torch.Device Device) Load<T>(ExperimentConfig cfg, string weightsPath, Func<ExperimentConfig, T> create)
        where T : torch.nn.Module
    {
        var device = DeviceSelector.Parse(cfg.Train.Device);
        using var ckpt = WeightsReader.Read(weightsPath);
        var model = create(cfg);
        ckpt.ApplyTo(model, null, restoreRng: false);
        model.to(device);
        model.eval();
        return (model, device);
    }
}
