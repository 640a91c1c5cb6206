using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using Segmenter.Checkpoints;

namespace Segmenter.Inference;

/// <summary>Builds the config's semantic model on its device (train.device) and fills it from weights read by
/// <see cref="WeightsReader"/> (strict: every tensor, same shapes), in eval mode.</summary>
public static class ModelLoader
{
    public static (Segmentor Model, torch.Device Device) Load(ExperimentConfig cfg, string weightsPath)
    {
        var device = DeviceSelector.Parse(cfg.Train.Device);
        using var ckpt = WeightsReader.Read(weightsPath);
        var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        ckpt.ApplyTo(model, null, restoreRng: false);
        model.to(device);
        model.eval();
        return (model, device);
    }
}
