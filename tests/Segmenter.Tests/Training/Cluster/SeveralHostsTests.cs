using System.Diagnostics;
using Segmenter.Checkpoints;
using Xunit.Abstractions;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>
/// Issue 26, several hosts: `mpirun --host` over two network namespaces (<see cref="NetnsHosts"/>), one rank on each,
/// talking TCP across a veth pair, sharing only the filesystem (the work dir). 2 hosts × 1 rank equal one process with
/// the whole batch; a host that vanishes (its link cut, every process in it killed) ends the job within
/// train.dist_timeout_s.
/// </summary>
[Collection("cli")]
public sealed class SeveralHostsTests(NetnsHosts hosts, ITestOutputHelper output) : IClassFixture<NetnsHosts>
{
    private bool Skip()
    {
        if (NetnsHosts.SkipReason is { } why) { output.WriteLine(why); return true; }
        Assert.Null(hosts.Up());
        return false;
    }

    [Fact]
    public void TwoHostsWithOneRankEachEqualOneProcessWithTheWholeBatch()
    {
        if (Skip()) return;
        var watch = Stopwatch.StartNew();
        var work = TestPaths.NewTempDir("hosts_train");
        using var mpirun = NetnsHosts.StartMpirun(ClusterTraining.TrainArgs(work));
        var stdout = mpirun.StandardOutput.ReadToEndAsync();
        var stderr = mpirun.StandardError.ReadToEndAsync();
        bool ended = mpirun.WaitForExit(240_000);
        if (!ended) mpirun.Kill(entireProcessTree: true);
        var text = stdout.Result + stderr.Result;
        output.WriteLine($"2 hosts: exit {(ended ? mpirun.ExitCode : -1)} in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(ended && mpirun.ExitCode == 0, $"mpirun over two hosts failed:\n{text}");
        Assert.Contains("launcher mpirun", text);
        Assert.Contains("All 2 ranks hold bit-identical weights", text);
        ClusterTraining.AssertLikeOneProcess(work, output.WriteLine);
    }

    [Fact]
    public void KilledHostEndsTheJobWithinTheCollectiveTimeout()
    {
        if (Skip()) return;
        const int timeoutS = 15;
        var work = TestPaths.NewTempDir("hosts_kill");
        var args = ClusterTraining.TrainArgs(work, "schedule.max_iters=500", $"train.dist_timeout_s={timeoutS}");
        using var mpirun = NetnsHosts.StartMpirun(args);
        var stdout = mpirun.StandardOutput.ReadToEndAsync();
        var stderr = mpirun.StandardError.ReadToEndAsync();
        var metrics = Path.Combine(work, "metrics.jsonl");
        var until = DateTime.UtcNow.AddSeconds(180);
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains("\"iter\":2")) && DateTime.UtcNow < until && !mpirun.HasExited)
            Thread.Sleep(200);
        if (mpirun.HasExited) Assert.Fail($"training ended before the host could be killed:\n{stdout.Result}{stderr.Result}");

        // The machine vanishes: its link goes down first (no FIN or RST reaches host 0), then every process in it dies.
        var down = ExternalProcess.Run(NetnsHosts.Ip, ["-n", "segmenter-h1", "link", "set", "segmenter-v1", "down"]);
        Assert.True(down.Exit == 0, down.Err);
        var pids = ExternalProcess.Run(NetnsHosts.Ip, ["netns", "pids", "segmenter-h1"]).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(pids); // the daemon and the rank of host 2
        foreach (var pid in pids) ExternalProcess.Run("kill", ["-KILL", pid.Trim()]);
        var killedAt = Stopwatch.StartNew();

        bool ended = mpirun.WaitForExit((timeoutS + 60) * 1000);
        if (!ended) mpirun.Kill(entireProcessTree: true);
        var text = stdout.Result + stderr.Result;
        double seconds = killedAt.Elapsed.TotalSeconds;
        output.WriteLine($"killed {pids.Length} processes of host 2; the job ended after {seconds:F1} s (train.dist_timeout_s {timeoutS})");
        output.WriteLine(string.Join("\n", text.Split('\n').Where(l => l.Contains("error") || l.Contains("abort", StringComparison.OrdinalIgnoreCase)).Take(10)));
        Assert.True(ended, $"the job hung after host 2 was killed:\n{text}");
        Assert.NotEqual(0, mpirun.ExitCode);
        // The watchdog fires after the timeout plus at most a step's time; MPI_Abort then ends mpirun.
        Assert.True(seconds < timeoutS + 30, $"the job took {seconds:F1} s to end after the host was killed");
    }
}
