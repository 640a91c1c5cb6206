using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// The normalisation step of synchronised BatchNorm as a custom autograd function: x̂ = (x − μ)/σ with μ, σ² the
/// batch statistics over ALL replicas (two all-reduces: the sums and counts, then the squared deviations). Its
/// backward needs the gradient sums over all replicas too: dx = (g − mean(g) − x̂·mean(g·x̂))/σ with global means,
/// one all-reduce. Running statistics are updated here, once per forward, with the global μ and unbiased σ².
/// Inputs: the activation [N, C, ...] and the <see cref="SyncBatchNormSite"/> (not a tensor).
/// </summary>
public sealed class SyncBatchNormFunction : autograd.SingleTensorFunction<SyncBatchNormFunction>
{
    public override string Name => "SyncBatchNorm";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var site = (SyncBatchNormSite)vars[1];
        var statsType = StatsType(x.dtype);
        var dims = ReduceDims(x);
        long channels = x.shape[1];
        var xs = x.to_type(statsType);
        using var held = new HeldScalars(); // no implicit, finalizer-owned Scalars on this per-step path (see HeldScalars)

        var sums = torch.cat([xs.sum(dims), torch.full(1, held.Of(x.numel() / channels), dtype: statsType, device: x.device)]);
        site.Collective.AllReduceSum(site.Rank, [sums], site.Name + ":sum");
        var count = sums[channels];
        var mean = sums[..(int)channels] / count;
        var diff = xs - Expand(mean, x);
        var squares = diff.square().sum(dims);
        site.Collective.AllReduceSum(site.Rank, [squares], site.Name + ":var");
        var variance = squares / count;
        var invstd = torch.rsqrt(variance.add(held.Of(site.Module.eps), HeldScalars.One));
        double m = count.to_type(ScalarType.Float64).item<double>();
        site.UpdateRunningStats(mean, variance, m);

        ctx.save_for_backward([x, mean, invstd]);
        ctx.save_data("site", site);
        ctx.save_data("count", m);
        return (diff * Expand(invstd, x)).to_type(x.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], mean = saved[1], invstd = saved[2];
        var site = (SyncBatchNormSite)ctx.get_data("site");
        double m = (double)ctx.get_data("count");
        var dims = ReduceDims(x);
        long channels = x.shape[1];
        var g = gradOutput.to_type(mean.dtype);
        using var held = new HeldScalars();
        var xhat = (x.to_type(mean.dtype) - Expand(mean, x)) * Expand(invstd, x);
        var sums = torch.cat([g.sum(dims), (g * xhat).sum(dims)]);
        site.Collective.AllReduceSum(site.Rank, [sums], site.Name + ":grad");
        var meanG = sums[..(int)channels].div(held.Of(m));
        var meanGx = sums[(int)channels..].div(held.Of(m));
        var dx = (g - Expand(meanG, x) - xhat * Expand(meanGx, x)) * Expand(invstd, x);
        return [dx.to_type(x.dtype), null!];
    }

    /// <summary>Statistics in at least fp32, also for bf16/fp16 activations.</summary>
    private static ScalarType StatsType(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : t;

    /// <summary>Every dimension but the channel one.</summary>
    private static long[] ReduceDims(Tensor x) => Enumerable.Range(0, (int)x.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();

    /// <summary>A per-channel [C] vector shaped to broadcast against x [N, C, ...].</summary>
    internal static Tensor Expand(Tensor perChannel, Tensor x)
    {
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[1] = perChannel.shape[0];
        return perChannel.view(shape);
    }
}
