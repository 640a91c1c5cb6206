using Segmenter.Training.Distributed;
using Segmenter.Benchmarks;

namespace Segmenter.Cli.Commands;

/// <summary>`segment bench --allreduce`: starts the process group from the launcher's environment and prints the table on rank 0.</summary>
public static class AllReduceBench
{
    public static int Run(int maxMb, int iters)
    {
        var group = ProcessGroupFactory.Create("mpi", timeoutSeconds: 600, cuda: false)
            ?? throw new SegmenterException("--allreduce needs several processes", "segment bench --allreduce",
                "start it with a launcher, e.g. mpirun -np 2 segment bench --allreduce");
        using (group)
        {
            var rows = AllReduceBenchmark.Run(group, (long)maxMb << 20, Math.Max(3, iters));
            if (group.Rank == 0)
            {
                Console.WriteLine($"all-reduce (in-place fp32 sum) over {group.WorldSize} ranks, {group.Backend}; median of {Math.Max(3, iters)} calls per size, slowest rank");
                Console.WriteLine($"{"size",10} {"time ms",10} {"algbw GB/s",11} {"busbw GB/s",11}");
                foreach (var r in rows)
                    Console.WriteLine($"{Size(r.Bytes),10} {r.Seconds * 1e3,10:F3} {r.AlgBandwidthGBs,11:F2} {r.BusBandwidthGBs,11:F2}");
            }
            group.Barrier("bench-end");
            MpiCollective.CleanExit = true;
        }
        return 0;
    }

    private static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MB" : $"{bytes >> 10} KB";
}
