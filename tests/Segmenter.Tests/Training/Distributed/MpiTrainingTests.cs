using System.Diagnostics;
using System.Text.Json;
using Segmenter.Config;
using Segmenter.Tests.EndToEnd;
using Segmenter.Training;
using Segmenter.Checkpoints;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace Segmenter.Tests.Training.Distributed;

/// <summary>
/// `mpirun -np N segment train` on the tiny DeepLabV3+ ResNet-18 (SyncBN, no dropout, SGD momentum) must equal one
/// process with the whole batch: per-iteration losses and the final weights within 1e-5, the ranks bit-identical
/// (checked by the run itself at the end), rank 0 alone writing the work dir. Killing one rank ends the job.
/// </summary>
[Collection("cli")]
public sealed class MpiTrainingTests(ITestOutputHelper output)
{
    private const int Iters = 3;

    private static string[] Overrides(string workDir, int batch) =>
    [
        $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", $"schedule.max_iters={Iters}", "schedule.warmup_iters=1",
        $"data.batch_size={batch}", "data.num_workers=1", "train.val_interval=0", "train.checkpoint_interval=0", "train.log_interval=1",
        "train.sync_bn=true", "model.decode_head.dropout=0", "model.aux_head.dropout=0", "optimizer.lr=0.002", "schedule.min_lr=0.0001",
    ];

    private const int Batch = 4;

    /// <summary>The single-process run with the whole batch, trained once for all cases.</summary>
    private static readonly Lazy<(string Dir, TrainResult Result)> Reference = new(() =>
    {
        var dir = TestPaths.NewTempDir("mpi_single");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, Overrides(dir, Batch));
        return (dir, Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) }));
    });

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // uneven slices 2/1/1, oversubscribed on 2 cores
    public void RanksTrainLikeOneProcessWithTheWholeBatch(int np)
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var (singleDir, single) = Reference.Value;
        var mpiDir = TestPaths.NewTempDir("mpi_ranks");

        TrainUnderMpi(np, SynthData.SmokeConfig, Overrides(mpiDir, Batch));

        var expected = Losses(Path.Combine(singleDir, "metrics.jsonl"));
        var got = Losses(Path.Combine(mpiDir, "metrics.jsonl"));
        Assert.Equal(Iters, got.Count); // one writer: rank 0
        for (int i = 0; i < Iters; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) < 1e-5, $"iter {i + 1}: loss {got[i]} with {np} ranks vs {expected[i]} in one process");

        OneProcessComparison.AssertLikeOneProcess(single.LastCheckpoint!, Path.Combine(mpiDir, $"iter_{Iters:D8}.ckpt"), output.WriteLine);
    }

    /// <summary>
    /// The small Panoptic-DeepLab under `mpirun -np 2` through the same loop: the loader's workers build each rank's
    /// targets, the semantic loss takes the global hard-pixel top-k, the centre/offset losses divide by the global
    /// weights, validation is sharded and its PQ totals summed. Losses, weights and PQ equal one process with the whole
    /// batch, and so do PQ and the validation loss of the sharded validation (dropout off: masks cannot match a split
    /// batch; a small SGD step, see PanopticDataParallelTests; one torch thread everywhere: with 2 threads in the single
    /// process a near-constant BatchNorm channel's weight parts by 7e-5).
    /// </summary>
    private static readonly string PanopticConfig = Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml");
    private static readonly Lazy<string> PanopticData = new(() =>
        Segmenter.Data.Synth.PanopticSynth.Generate(TestPaths.NewTempDir("mpi_pan_data"), "cityscapes-panoptic", count: 8, size: 64, seed: 5).Root);

    private static string[] PanopticOverrides(string workDir) =>
    [
        $"data.root={PanopticData.Value}", $"train.work_dir={workDir}", "schedule.max_iters=3", "schedule.warmup_iters=0", "data.batch_size=4",
        "data.num_workers=1", "train.val_interval=3", "train.checkpoint_interval=0", "train.log_interval=1", "train.sync_bn=true",
        "model.panoptic.aspp_dropout=0", "train.threads=1", "optimizer.type=sgd", "optimizer.lr=0.0002", "optimizer.momentum=0.9",
        "optimizer.weight_decay=0.001", "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 48]",
    ];

    /// <summary>The single-process panoptic run with the whole batch, trained once for both cases.</summary>
    private static readonly Lazy<(string Dir, TrainResult Result)> PanopticReference = new(() =>
    {
        var dir = TestPaths.NewTempDir("mpi_pan_single");
        var cfg = ConfigLoader.Load(PanopticConfig, PanopticOverrides(dir));
        return (dir, Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) }));
    });

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // uneven slices 2/1/1
    public void PanopticRanksTrainLikeOneProcessWithTheWholeBatch(int np)
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var (singleDir, single) = PanopticReference.Value;
        var mpiDir = TestPaths.NewTempDir("mpi_pan_ranks");
        TrainUnderMpi(np, PanopticConfig, PanopticOverrides(mpiDir));

        var expected = Losses(Path.Combine(singleDir, "metrics.jsonl"));
        var got = Losses(Path.Combine(mpiDir, "metrics.jsonl"));
        Assert.Equal(3, got.Count);
        for (int i = 0; i < got.Count; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"iter {i + 1}: loss {got[i]} with {np} ranks vs {expected[i]}");
        // Sharded validation: PQ and the validation loss (summed over the ranks' shares) equal the single process's.
        double Val(string dir, string key) => File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Last(e => e.TryGetProperty("PQ", out _)).GetProperty(key).GetDouble();
        Assert.Equal(Val(singleDir, "PQ"), Val(mpiDir, "PQ"), 6);
        double lossA = Val(singleDir, "val_loss"), lossB = Val(mpiDir, "val_loss");
        Assert.True(Math.Abs(lossA - lossB) <= 1e-5 * Math.Abs(lossA), $"val_loss {lossB} with {np} ranks vs {lossA}");

        using var a = Checkpointer.Load(single.LastCheckpoint!);
        using var b = Checkpointer.Load(Path.Combine(mpiDir, "iter_00000003.ckpt"));
        double worst = 0; string at = "";
        foreach (var (key, value) in a.Model)
        {
            if (key.Contains("running_") || key.Contains("num_batches")) continue;
            var d = (value.to(torch.ScalarType.Float64) - b.Model[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            if (d > worst) (worst, at) = (d, key);
        }
        output.WriteLine($"weights: max abs diff {worst} at {at}");
        Assert.True(worst <= 1e-5, $"weights: max abs diff {worst} at {at}");
    }

    /// <summary>
    /// Both ranks SIGKILLed after the checkpoint of iteration 2 (a lost node), then `--resume auto` under the same world
    /// size: the final weights are bit-identical to the uninterrupted run.
    /// </summary>
    [Fact]
    public void SigkilledJobResumesExactly()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var straight = TestPaths.NewTempDir("mpi_kill_straight");
        var killed = TestPaths.NewTempDir("mpi_kill_resume");
        string[] Train(string dir) => ["train", "--config", SynthData.SmokeConfig, "--cfg-options", .. Overrides(dir, Batch),
            "schedule.max_iters=6", "train.checkpoint_interval=2"];
        var full = MpiRunner.Run(2, Train(straight), timeoutSeconds: 300);
        Assert.Equal(0, full.Exit);

        using (var mpirun = Start(Train(killed)))
        {
            var until = DateTime.UtcNow.AddSeconds(240);
            while (!File.Exists(Path.Combine(killed, "iter_00000002.ckpt")) && DateTime.UtcNow < until && !mpirun.HasExited) Thread.Sleep(100);
            Assert.False(mpirun.HasExited, "the run ended before it could be killed");
            var pids = new[] { RankPid(mpirun.Id, 0), RankPid(mpirun.Id, 1) }; // both first: killing one makes mpirun end the other
            foreach (int pid in pids)
                try { Process.GetProcessById(pid).Kill(); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException) { } // already gone
            Assert.True(mpirun.WaitForExit(60_000), "mpirun did not end after its ranks were killed");
        }
        var resumed = MpiRunner.Run(2, [.. Train(killed), "--resume", "auto"], timeoutSeconds: 300);
        output.WriteLine(resumed.All);
        Assert.Equal(0, resumed.Exit);
        Assert.Contains("Resumed from", resumed.All);

        using var a = Checkpointer.Load(Path.Combine(straight, "iter_00000006.ckpt"));
        using var b = Checkpointer.Load(Path.Combine(killed, "iter_00000006.ckpt"));
        foreach (var (key, value) in a.Model)
        {
            var d = (value.to(torch.ScalarType.Float64) - b.Model[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            Assert.True(d == 0, $"{key}: max abs diff {d} after SIGKILL + resume");
        }
    }

    /// <summary>SIGTERM to every rank (what Slurm sends before preemption): all finish the same step, rank 0 writes one checkpoint, all exit.</summary>
    [Fact]
    public void SigtermOnAllRanksStopsAtTheSameStepWithOneCheckpoint()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var dir = TestPaths.NewTempDir("mpi_sigterm");
        using var mpirun = Start(["train", "--config", SynthData.SmokeConfig, "--cfg-options", .. Overrides(dir, Batch), "schedule.max_iters=200"]);
        var metrics = Path.Combine(dir, "metrics.jsonl");
        var until = DateTime.UtcNow.AddSeconds(240);
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains("\"iter\":2")) && DateTime.UtcNow < until && !mpirun.HasExited)
            Thread.Sleep(100);
        Assert.False(mpirun.HasExited, "training ended before the signal");
        var pids = new[] { RankPid(mpirun.Id, 0), RankPid(mpirun.Id, 1) };
        foreach (int pid in pids) Process.Start("kill", ["-TERM", pid.ToString()])!.WaitForExit();
        Assert.True(mpirun.WaitForExit(120_000), "the ranks did not stop after SIGTERM");
        var checkpoints = Directory.GetFiles(dir, "iter_*.ckpt");
        Assert.Single(checkpoints);
        long stoppedAt = long.Parse(Path.GetFileNameWithoutExtension(checkpoints[0])["iter_".Length..]);
        Assert.Equal(stoppedAt, Losses(metrics).Count); // rank 0 logged every step up to the common stop
        Assert.True(stoppedAt < 200);
    }

    private static Process Start(IEnumerable<string> segmentArgs)
    {
        var psi = new ProcessStartInfo(MpiRunner.MpiRun!) { RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (var a in new[] { "--allow-run-as-root", "-np", "2", "dotnet", MpiRunner.SegmentDll }.Concat(segmentArgs)) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        return Process.Start(psi)!;
    }

    [Fact]
    public void KilledRankEndsTheJob()
    {
        if (!MpiRunner.Available) { output.WriteLine(MpiRunner.Missing); return; }
        var dir = TestPaths.NewTempDir("mpi_kill");
        var args = new List<string> { "--allow-run-as-root", "-np", "2", "dotnet", MpiRunner.SegmentDll, "train", "--config", SynthData.SmokeConfig,
            "--dist-backend", "mpi", "--cfg-options" };
        args.AddRange(Overrides(dir, 4));
        args.Add("schedule.max_iters=500");
        var psi = new ProcessStartInfo(MpiRunner.MpiRun!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        using var mpirun = Process.Start(psi)!;
        var stdout = mpirun.StandardOutput.ReadToEndAsync();
        var stderr = mpirun.StandardError.ReadToEndAsync();
        var metrics = Path.Combine(dir, "metrics.jsonl");
        var until = DateTime.UtcNow.AddSeconds(180);
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains("\"iter\":1")) && DateTime.UtcNow < until && !mpirun.HasExited)
            Thread.Sleep(200);
        Assert.False(mpirun.HasExited, "training ended before a rank could be killed");
        int victim = RankPid(mpirun.Id, rank: 1);
        Process.GetProcessById(victim).Kill();
        var killedAt = Stopwatch.StartNew();
        bool ended = mpirun.WaitForExit(60_000);
        if (!ended) mpirun.Kill(entireProcessTree: true);
        output.WriteLine(stdout.Result + stderr.Result);
        Assert.True(ended, "the job hung after a rank was killed");
        Assert.NotEqual(0, mpirun.ExitCode);
        output.WriteLine($"job ended {killedAt.Elapsed.TotalSeconds:F1} s after rank 1 was killed");
    }

    /// <summary>The pid of the child of mpirun whose OMPI_COMM_WORLD_RANK is <paramref name="rank"/>.</summary>
    private static int RankPid(int mpirunPid, int rank)
    {
        foreach (var task in Directory.GetDirectories($"/proc/{mpirunPid}/task"))
            foreach (var pid in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
            {
                string[] env;
                try { env = File.ReadAllText($"/proc/{pid}/environ").Split('\0'); }
                catch (IOException) { continue; } // exited meanwhile
                if (env.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
            }
        throw new InvalidOperationException($"no child of mpirun {mpirunPid} is rank {rank}");
    }

    /// <summary>`mpirun -np N segment train` with the MPI backend; the job succeeds and its ranks end bit-identical.</summary>
    private void TrainUnderMpi(int np, string config, string[] overrides)
    {
        var r = MpiRunner.Run(np, ["train", "--config", config, "--dist-backend", "mpi", "--cfg-options", .. overrides], timeoutSeconds: 400);
        output.WriteLine(r.All);
        Assert.Equal(0, r.Exit);
        Assert.Contains($"All {np} ranks hold bit-identical weights", r.All);
    }

    private static List<double> Losses(string metricsJsonl) =>
        File.ReadAllLines(metricsJsonl).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("iter", out _) && e.TryGetProperty("loss", out _))
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();
}
