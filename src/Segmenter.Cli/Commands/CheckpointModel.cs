using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;

namespace Segmenter.Cli.Commands;

/// <summary>Builds the config's model on a device and fills it from a checkpoint (compatibility checked first).</summary>
internal static class CheckpointModel
{
    public static (Segmentor Model, torch.Device Device) Load(ExperimentConfig cfg, string checkpoint)
    {
        var device = DeviceSelector.Parse(cfg.Train.Device);
        using var ckpt = Checkpointer.Load(checkpoint);
        var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        ckpt.ApplyTo(model, null, restoreRng: false);
        model.to(device);
        model.eval();
        return (model, device);
    }
}
