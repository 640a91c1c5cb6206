using Segmenter.Training.Distributed;
using Xunit;
using Xunit.Abstractions;

namespace Segmenter.Tests.Training.Distributed;

/// <summary>
/// The Open MPI collectives across real processes (`mpirun -np 2/3 segment dist-selftest`): exact sums of fp32/fp64
/// views at a storage offset, in several chunks, broadcast, over shared memory and over TCP only; and the failure
/// paths: a rank that throws, hangs (watchdog) or calls another collective ends the job with a non-zero exit.
/// </summary>
[Collection("cli")]
public sealed class MpiCollectiveTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(2, true)]  // TCP only: the stand-in for two machines
    public void SelfTestSumsExactlyAcrossProcesses(int np, bool tcpOnly)
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        string[] mpiArgs = tcpOnly ? ["--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"] : [];
        var r = MpiRunner.Run(np, ["dist-selftest", "--elements", "5000", "--chunk", "1500"], mpiArgs);
        output.WriteLine(r.All);
        Assert.Equal(0, r.Exit);
        for (int rank = 0; rank < np; rank++) Assert.Contains($"dist-selftest rank {rank}/{np} ok", r.Out);
    }

    [Fact]
    public void HangingRankTripsTheWatchdog()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var r = MpiRunner.Run(2, ["dist-selftest", "--hang-rank", "1", "--timeout-s", "2"], timeoutSeconds: 90);
        output.WriteLine(r.All);
        Assert.NotEqual(0, r.Exit);
        Assert.NotEqual(-1, r.Exit);
        Assert.Contains("rank 0: collective allreduce 'selftest'", r.All);
    }

    [Fact]
    public void FailingRankEndsTheJob()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var r = MpiRunner.Run(2, ["dist-selftest", "--fail-rank", "1"], timeoutSeconds: 90);
        output.WriteLine(r.All);
        Assert.NotEqual(0, r.Exit);
        Assert.NotEqual(-1, r.Exit);
        Assert.Contains("rank 1 fails on purpose", r.All);
    }

    [Fact]
    public void MismatchedCollectivesAreAnError()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var r = MpiRunner.Run(2, ["dist-selftest", "--mismatch-rank", "0"], timeoutSeconds: 90);
        output.WriteLine(r.All);
        Assert.NotEqual(0, r.Exit);
        Assert.NotEqual(-1, r.Exit);
        Assert.Contains("collective mismatch", r.All);
    }

    [Fact]
    public void NcclBackendFailsWithOneLineWhereItCannotRun()
    {
        // This machine has neither libnccl.so.2 nor CUDA: the backend must say which, as a SegmenterException.
        var e = Assert.Throws<SegmenterException>(() => NcclCollective.Initialize(DistributedEnvironment.Single, TimeSpan.FromSeconds(5)));
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Contains("libnccl.so.2") || e.Message.Contains("CUDA"), e.Message);
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_RANK=3,OMPI_COMM_WORLD_SIZE=8,OMPI_COMM_WORLD_LOCAL_RANK=1,OMPI_COMM_WORLD_LOCAL_SIZE=2", 3, 8, 1, 2, "mpirun")]
    [InlineData("SLURM_PROCID=5,SLURM_NTASKS=8,SLURM_LOCALID=1,SLURM_STEP_ID=0,SLURM_STEP_TASKS_PER_NODE=4(x2)", 5, 8, 1, 4, "srun")]
    [InlineData("PMIX_RANK=2,SLURM_NTASKS=4,SLURM_LOCALID=0,SLURM_TASKS_PER_NODE=2,2", 2, 4, 0, 2, "pmix")]
    [InlineData("SLURM_PROCID=0,SLURM_NTASKS=8", 0, 1, 0, 1, "none")] // a batch script without srun is not a job step
    [InlineData("", 0, 1, 0, 1, "none")]
    public void LauncherEnvironmentIsRead(string vars, int rank, int size, int localRank, int localSize, string launcher)
    {
        var map = vars.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(v => v.Contains('='))
            .ToDictionary(v => v[..v.IndexOf('=')], v => v[(v.IndexOf('=') + 1)..]);
        if (vars.Contains("TASKS_PER_NODE=2,2")) map["SLURM_TASKS_PER_NODE"] = "2,2";
        var env = DistributedEnvironment.Detect(k => map.GetValueOrDefault(k));
        Assert.Equal(new DistributedEnvironment(rank, size, localRank, localSize, launcher), env);
        Assert.Equal(Math.Max(1, 16 / localSize), env.ThreadsPerRank(16));
    }
}
