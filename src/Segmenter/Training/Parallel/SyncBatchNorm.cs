using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// Turns every BatchNorm of one replica into synchronised BatchNorm without replacing modules (TorchSharp's
/// BatchNorm classes are sealed, and the models hold them in typed fields): forward hooks route each training-mode
/// call through <see cref="SyncBatchNormFunction"/>, so state-dict names, parameters and buffers stay exactly the
/// same. The pre-hook switches the module to eval for its own (discarded, cheap) forward so it does not update the
/// running stats with local statistics; the post-hook returns w·x̂ + b with global statistics. Models must invoke
/// BatchNorm through <c>call()</c> (hooks do not run on <c>forward()</c>); <see cref="Verify"/> catches one that does not.
/// In eval mode the hooks do nothing. Dispose removes the hooks.
/// </summary>
public sealed class SyncBatchNorm : IDisposable
{
    private readonly List<SyncBatchNormSite> _sites = [];
    private readonly Dictionary<SyncBatchNormSite, long> _trackedAtAttach = [];
    private readonly List<Action> _removers = [];

    private SyncBatchNorm() { }

    public IReadOnlyList<SyncBatchNormSite> Sites => _sites;

    /// <summary>Hooks every BatchNorm of <paramref name="model"/> (replica <paramref name="rank"/>) to <paramref name="collective"/>.</summary>
    public static SyncBatchNorm Attach(nn.Module model, ICollective collective, int rank)
    {
        var sync = new SyncBatchNorm();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not BatchNorm bn) continue;
            var site = new SyncBatchNormSite(bn, name, collective, rank);
            sync._sites.Add(site);
            sync._trackedAtAttach[site] = Tracked(bn);
            bool active = false;
            var pre = bn.register_forward_pre_hook((m, input) =>
            {
                active = m.training;
                if (active) m.train(false);
                return null!;
            });
            var post = bn.register_forward_hook((m, input, output) =>
            {
                if (!active) return output;
                active = false;
                m.train(true);
                output.Dispose();
                return Normalize(site, input);
            });
            sync._removers.Add(pre.remove);
            sync._removers.Add(post.remove);
        }
        return sync;
    }

    /// <summary>
    /// Throws if a BatchNorm ran a training forward without the hook (its num_batches_tracked moved on its own),
    /// i.e. a model calls <c>bn.forward(x)</c> instead of <c>bn.call(x)</c>.
    /// </summary>
    public void Verify()
    {
        foreach (var site in _sites)
        {
            if (!site.Module.track_running_stats || site.Module.num_batches_tracked is null) continue;
            long moved = Tracked(site.Module) - _trackedAtAttach[site];
            if (moved != site.Calls)
                throw new InvalidOperationException(
                    $"BatchNorm '{site.Name}' ran {moved - site.Calls} training forwards outside SyncBN: the model must invoke it with call(), not forward()");
        }
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
    }

    private static long Tracked(BatchNorm bn) => bn.num_batches_tracked is { } t ? t.to_type(ScalarType.Int64).item<long>() : 0;

    private static Tensor Normalize(SyncBatchNormSite site, Tensor input)
    {
        var bn = site.Module;
        var xhat = SyncBatchNormFunction.apply(input, site);
        if (!bn.affine) return xhat;
        return xhat * SyncBatchNormFunction.Expand(bn.weight, input) + SyncBatchNormFunction.Expand(bn.bias!, input);
    }
}
