using Segmenter.Models;
using Segmenter.Training;
using System.Text.Json;
using Segmenter.Config;
using Serilog;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Checkpoints;

/// <summary>
/// The checkpoint side of the training loop (<see cref="Trainer"/>, for every task):
/// resume (auto = latest iter_*.ckpt in the work dir, or a path) restoring model, optimizer, torch RNG, iteration and
/// the best validation metric (extra JSON "best_{metric}"); iter_*.ckpt at intervals (keep_checkpoints newest); and
/// best_{metric}.ckpt whenever validation improves (larger values, or smaller with <paramref name="greaterIsBetter"/> false,
/// e.g. val_loss; see train.save_best / save_best_rule).
/// </summary>
public sealed class RunCheckpoints(string workDir, ExperimentConfig cfg, string configYaml, string metric, bool greaterIsBetter = true)
{
    /// <summary>Best value of the metric seen so far (the worst infinity before the first validation).</summary>
    public double Best { get; private set; } = greaterIsBetter ? double.NegativeInfinity : double.PositiveInfinity;

    /// <summary>Loop state saved with every checkpoint and restored on resume (early stopping).</summary>
    public IReadOnlyList<ICheckpointedState> States { get; init; } = [];

    /// <summary>The iter_*.ckpt written last by <see cref="Save"/>, or null.</summary>
    public string? Last { get; private set; }

    /// <summary>Applies the checkpoint named by <paramref name="resume"/> (null = fresh start) and returns the iteration to continue from.</summary>
    public long Resume(string? resume, nn.Module model, IOptimizer optimizer)
    {
        var from = resume == "auto" ? Checkpointer.FindLatest(workDir) : resume;
        if (from is null)
        {
            if (resume == "auto") Log.Information("No checkpoint in {WorkDir}; starting from scratch", workDir);
            return 0;
        }
        using var ckpt = Checkpointer.Load(from);
        ckpt.ApplyTo(model, optimizer);
        Best = ReadBest(ckpt.ExtraJson);
        using (var extra = JsonDocument.Parse(ckpt.ExtraJson))
            foreach (var state in States) state.Read(extra.RootElement);
        Log.Information("Resumed from {Checkpoint} at iteration {Iteration}", from, ckpt.Iteration);
        return ckpt.Iteration;
    }

    /// <summary>True when a periodic action with this interval (0 = never) is due after iteration <paramref name="it"/>.</summary>
    public static bool IsDue(int interval, long it) => interval > 0 && it % interval == 0;

    /// <summary>Writes iter_{it}.ckpt and prunes older ones to train.keep_checkpoints; returns the path.</summary>
    public string Save(long it, nn.Module model, IOptimizer optimizer)
    {
        using var ckpt = Capture(it, model, optimizer);
        Last = Checkpointer.Save(workDir, it, ckpt, cfg.Train.KeepCheckpoints);
        Log.Information("Saved checkpoint {Path}", Last);
        return Last;
    }

    /// <summary>Writes best_{metric}.ckpt when <paramref name="value"/> beats the best so far (or is the first); returns whether it did.</summary>
    public bool OfferBest(long it, double value, nn.Module model, IOptimizer optimizer)
    {
        bool better = greaterIsBetter ? value > Best : value < Best;
        if (!(better || double.IsInfinity(Best))) return false;
        if (!double.IsNaN(value)) Best = value;
        using var ckpt = Capture(it, model, optimizer);
        Checkpointer.SaveBest(workDir, ckpt, metric);
        bool isLoss = metric.Contains("loss", StringComparison.OrdinalIgnoreCase);
        if (isLoss) Log.Information("New best {Metric} {Value:F4} at iteration {Iteration}", metric, value, it);
        else Log.Information("New best {Metric} {Value:F2} at iteration {Iteration}", metric, 100 * value, it);
        return true;
    }

    private Checkpoint Capture(long it, nn.Module model, IOptimizer optimizer)
    {
        var extra = new Dictionary<string, double?> { [$"best_{metric}"] = double.IsFinite(Best) ? Best : null };
        foreach (var state in States) state.Write(extra);
        return Checkpoint.Capture(it, model, optimizer, configYaml, Checkpoint.ArchitectureOf(cfg.Model), JsonSerializer.Serialize(extra));
    }

    private double ReadBest(string extraJson)
    {
        using var doc = JsonDocument.Parse(extraJson);
        return doc.RootElement.TryGetProperty($"best_{metric}", out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetDouble() : greaterIsBetter ? double.NegativeInfinity : double.PositiveInfinity;
    }
}
