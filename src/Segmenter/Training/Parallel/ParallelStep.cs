using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training.Amp;
using Serilog;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Training.Parallel;

/// <summary>Where the config switches the training step to <see cref="DataParallelTrainer"/> (train.replicas / a device list, train.amp).</summary>
public static class ParallelStep
{
    /// <summary>True when the plain single-device fp32 step does not do (several devices, or mixed precision).</summary>
    public static bool Needed(ExperimentConfig cfg, IReadOnlyList<Device> devices) => devices.Count > 1 || cfg.Train.Amp != "none";

    /// <summary>A data-parallel trainer around <paramref name="master"/> when the config asks for one, else null.</summary>
    public static DataParallelTrainer? CreateIfNeeded(ExperimentConfig cfg, Segmentor master, IOptimizer optimizer, IReadOnlyList<Device> devices,
        bool benchmark = false)
    {
        if (!Needed(cfg, devices)) return null;
        var options = new DataParallelOptions
        {
            SyncBatchNorm = cfg.Train.SyncBn,
            WorkingType = LossScaler.WorkingType(cfg.Train.Amp),
            Scaler = LossScaler.For(cfg.Train.Amp),
            GradClip = cfg.Optimizer.GradClip,
            SeparateWaitTime = benchmark,
            Seed = cfg.Train.Seed,
        };
        Log.Information("Data-parallel step: {Replicas} replicas on {Devices}, BatchNorm {Bn}, precision {Amp}",
            devices.Count, string.Join(",", devices.Select(d => d.ToString())), cfg.Train.SyncBn ? "synchronised" : "per replica",
            cfg.Train.Amp == "none" ? "fp32" : $"{cfg.Train.Amp} working copy, fp32 master");
        return new DataParallelTrainer(master, () => ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg)), devices, optimizer, options);
    }
}
