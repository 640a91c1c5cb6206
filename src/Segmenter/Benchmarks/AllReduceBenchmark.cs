using Segmenter.Training.Distributed;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>One message size of <see cref="AllReduceBenchmark"/>: median time per in-place fp32 sum, algorithm and bus bandwidth.</summary>
public sealed record AllReduceRow(long Bytes, double Seconds, double AlgBandwidthGBs, double BusBandwidthGBs);

/// <summary>
/// `segment bench --allreduce` under mpirun/srun: the time of an in-place fp32 sum over all ranks for message sizes
/// from 4 KB up, the way nccl-tests reports it (github.com/NVIDIA/nccl-tests doc/PERFORMANCE.md): algorithm bandwidth
/// = bytes / time, bus bandwidth = algbw · 2(n−1)/n, the per-link traffic of a ring all-reduce, which is comparable
/// across rank counts. Each size: warm-up calls, then the median of timed calls, each started after a barrier.
/// </summary>
public static class AllReduceBenchmark
{
    public static IReadOnlyList<AllReduceRow> Run(IProcessGroup group, long maxBytes, int iters, Device? device = null)
    {
        device ??= CPU;
        var rows = new List<AllReduceRow>();
        int n = group.WorldSize;
        for (long bytes = 4096; bytes <= maxBytes; bytes *= 4)
        {
            using var scope = NewDisposeScope();
            var t = torch.ones(bytes / 4, dtype: ScalarType.Float32, device: device);
            for (int w = 0; w < 2; w++) group.AllReduceSum(group.Rank, [t], "bench-warmup");
            var times = new List<double>();
            for (int i = 0; i < iters; i++)
            {
                group.Barrier("bench");
                var watch = Stopwatch.StartNew();
                group.AllReduceSum(group.Rank, [t], "bench");
                times.Add(watch.Elapsed.TotalSeconds);
            }
            // Every rank must agree on the time: take the slowest rank's median (the collective ends when the last rank does).
            times.Sort();
            var median = new[] { times[times.Count / 2] };
            var all = new double[n];
            all[group.Rank] = median[0];
            group.AllReduceSum(all, "bench-times");
            double seconds = all.Max();
            double alg = bytes / seconds / 1e9;
            rows.Add(new AllReduceRow(bytes, seconds, alg, alg * 2 * (n - 1) / n));
        }
        return rows;
    }
}
