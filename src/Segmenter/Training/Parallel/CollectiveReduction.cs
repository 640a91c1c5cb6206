using Segmenter.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// The loss-normalisation reduction of one replica over an <see cref="ICollective"/> (in-process replicas, MPI or
/// NCCL ranks): sums are one fp64 element, gathers one zero-padded fp32 vector of the global length summed over the
/// replicas (every slot written by exactly one replica, so the sum is a copy). Tensors live on the replica's device.
/// </summary>
public sealed class CollectiveReduction(ICollective collective, int rank, Device device) : ICrossReplicaReduction
{
    public int Replicas => collective.WorldSize;

    public double Sum(double local)
    {
        using var t = torch.tensor(new[] { local }, dtype: ScalarType.Float64, device: device);
        collective.AllReduceSum(rank, [t], "loss-normaliser");
        return t.to(CPU).item<double>();
    }

    public (Tensor All, long Offset) Gather(Tensor local)
    {
        var counts = torch.zeros(collective.WorldSize, dtype: ScalarType.Float64, device: device);
        counts[rank] = local.numel();
        collective.AllReduceSum(rank, [counts], "loss-gather-sizes");
        var sizes = counts.to(CPU).data<double>().Select(v => (long)v).ToArray();
        long offset = sizes.Take(rank).Sum();
        var all = torch.zeros(sizes.Sum(), dtype: ScalarType.Float32, device: device);
        all.narrow(0, offset, local.numel()).copy_(local.detach().flatten().to_type(ScalarType.Float32));
        collective.AllReduceSum(rank, [all], "loss-gather");
        return (all, offset);
    }
}
