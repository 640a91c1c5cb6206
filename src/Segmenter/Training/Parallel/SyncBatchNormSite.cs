using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>One BatchNorm module of one replica under SyncBN: where its statistics are reduced, and its running stats.</summary>
public sealed class SyncBatchNormSite(BatchNorm module, string name, ICollective collective, int rank)
{
    public BatchNorm Module { get; } = module;
    /// <summary>The module's state-dict prefix (same on every replica): tags its collectives.</summary>
    public string Name { get; } = name;
    public ICollective Collective { get; } = collective;
    public int Rank { get; } = rank;
    /// <summary>Synchronised training forwards so far (to catch a BatchNorm that bypassed the hook).</summary>
    public long Calls { get; private set; }

    /// <summary>The BatchNorm running-stat update (TorchSharp/PyTorch rule) with the global mean and biased variance over <paramref name="count"/> values.</summary>
    internal void UpdateRunningStats(Tensor mean, Tensor variance, double count)
    {
        Calls++;
        if (!Module.track_running_stats || Module.running_mean is null || Module.running_var is null) return;
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        using var held = new HeldScalars(); // no implicit, finalizer-owned Scalars on this per-step path (see HeldScalars)
        double factor = Module.momentum ?? 0.0;
        if (Module.num_batches_tracked is { } tracked)
        {
            tracked.add_(HeldScalars.One, HeldScalars.One);
            if (factor == 0) factor = 1.0 / tracked.to_type(ScalarType.Float64).item<double>();
        }
        var unbiased = variance.mul(held.Of(count / Math.Max(1.0, count - 1)));
        Module.running_mean.mul_(held.Of(1 - factor)).add_(mean.to_type(Module.running_mean.dtype), alpha: held.Of(factor));
        Module.running_var.mul_(held.Of(1 - factor)).add_(unbiased.to_type(Module.running_var.dtype), alpha: held.Of(factor));
    }
}
