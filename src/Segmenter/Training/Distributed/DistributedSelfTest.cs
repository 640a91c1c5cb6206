using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Distributed;

/// <summary>What <see cref="DistributedSelfTest"/> does; the fault switches make one rank misbehave, for the failure tests.</summary>
public sealed record SelfTestOptions
{
    public string Backend { get; init; } = "mpi";
    public long Elements { get; init; } = 1000;
    public int TimeoutSeconds { get; init; } = 600;
    /// <summary>Elements per MPI call (smaller than the default exercises the chunking).</summary>
    public int? ChunkElements { get; init; }
    /// <summary>This rank sleeps instead of joining the all-reduce (the others' watchdog must end the job).</summary>
    public int? HangRank { get; init; }
    /// <summary>This rank throws before the all-reduce (the job must end, not hang).</summary>
    public int? FailRank { get; init; }
    /// <summary>This rank uses another tag (the mismatch check must fire).</summary>
    public int? MismatchRank { get; init; }
}

/// <summary>
/// `segment dist-selftest` (hidden; for tests and for checking a cluster): under a launcher, all-reduces fp32 and fp64
/// tensors that are views at a storage offset, broadcasts, sums host values and meets at a barrier, and checks every
/// result exactly. Returns the line to print.
/// </summary>
public static class DistributedSelfTest
{
    public static string Run(SelfTestOptions o)
    {
        if (o.ChunkElements is { } chunk) MpiCollective.MaxChunk = chunk;
        var group = ProcessGroupFactory.Create(o.Backend, o.TimeoutSeconds, cuda: o.Backend == "nccl");
        if (group is null) return "dist-selftest: world size 1 (no launcher): nothing to test";
        using var _ = group;
        int rank = group.Rank, world = group.WorldSize;
        var device = group is NcclCollective nccl ? nccl.Device : CPU;

        if (o.FailRank == rank) throw new InvalidOperationException($"dist-selftest: rank {rank} fails on purpose (--fail-rank)");
        if (o.HangRank == rank) Thread.Sleep(Timeout.Infinite);
        string tag = o.MismatchRank == rank ? "other-tag" : "selftest";

        using var scope = NewDisposeScope();
        // Views 3 elements into their storage: the pointer arithmetic (data_ptr + offset) is part of the test.
        var pattern = (torch.arange(o.Elements, dtype: ScalarType.Float64) % 7 + 1).to(device);
        var f32 = torch.zeros(o.Elements + 3, dtype: ScalarType.Float32, device: device).narrow(0, 3, o.Elements);
        var f64 = torch.zeros(o.Elements + 3, dtype: ScalarType.Float64, device: device).narrow(0, 3, o.Elements);
        f32.copy_(pattern * (rank + 1));
        f64.copy_(pattern * (rank + 1) * 0.5);
        group.AllReduceSum(rank, [f32, f64], tag);
        double s = world * (world + 1) / 2.0;
        Expect(f32.to_type(ScalarType.Float64).eq(pattern * s).all().item<bool>(), "fp32 all-reduce", rank);
        Expect(f64.eq(pattern * s * 0.5).all().item<bool>(), "fp64 all-reduce", rank);

        var b = torch.full(o.Elements, (double)rank, dtype: ScalarType.Float32, device: device);
        group.Broadcast(rank, [b], root: world - 1, "selftest-bcast");
        Expect(b.eq(world - 1).all().item<bool>(), "broadcast", rank);

        var host = new[] { rank + 1.0, 1.0 };
        group.AllReduceSum(host, "selftest-host");
        Expect(host[0] == s && host[1] == world, "host all-reduce", rank);
        group.Barrier("selftest-end");
        MpiCollective.CleanExit = true;
        return $"dist-selftest rank {rank}/{world} ok: {group.Backend} all-reduce of {o.Elements} fp32+fp64 elements, broadcast, host sum, barrier";
    }

    private static void Expect(bool ok, string what, int rank)
    {
        if (!ok) throw new InvalidOperationException($"dist-selftest: {what} gave a wrong result on rank {rank}");
    }
}
