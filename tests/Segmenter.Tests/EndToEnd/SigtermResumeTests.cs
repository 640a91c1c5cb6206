using System.Diagnostics;
using System.Runtime.InteropServices;
using Segmenter.Training;
using TorchSharp;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Issue 14, preemption: a real `segment train` process that gets SIGTERM (what Slurm, Kubernetes and `timeout` send)
/// finishes its step, writes a checkpoint and exits 143; `--resume auto` then ends bit-identical to an uninterrupted
/// run, as <see cref="ExactResumeTests"/> requires of --stop-at.
/// </summary>
[Collection("cli")]
public sealed class SigtermResumeTests
{
    private const int MaxIters = 4;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>One validation image: the run ends with an evaluation at max_iters, which should cost little here.</summary>
    private static readonly Lazy<string> ValSplit = new(() =>
    {
        var path = Path.Combine(TestPaths.NewTempDir("sigterm_val"), "val1.txt");
        File.WriteAllLines(path, File.ReadLines(Path.Combine(SynthData.VocRoot, "ImageSets/Segmentation/val.txt")).Take(1));
        return path;
    });

    private static string[] Args(string work, params string[] more) =>
    [
        "train", "--config", SynthData.SmokeConfig, "--work-dir", work, .. more, "--cfg-options", $"data.root={SynthData.VocRoot}",
        $"schedule.max_iters={MaxIters}", "schedule.warmup_iters=1", "data.batch_size=2", "data.num_workers=1",
        "train.val_interval=0", "train.checkpoint_interval=1", "train.log_interval=1", "data.train_pipeline.crop_size=[32,32]",
        "data.train_pipeline.scale=[48,32]", "data.test_pipeline.scale=[48,32]", $"data.val.parts.0.split={ValSplit.Value}",
    ];

    /// <summary>Starts the built CLI (segment.dll next to the test assembly) as a child process.</summary>
    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "segment.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int RunToEnd(string[] args)
    {
        using var p = Start(args);
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "training did not finish in 5 minutes");
        return p.ExitCode;
    }

    [Fact]
    public void Sigterm_checkpoints_and_resume_auto_equals_an_uninterrupted_run()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM is POSIX
        var straightDir = TestPaths.NewTempDir("sigterm_straight");
        var splitDir = TestPaths.NewTempDir("sigterm_split");
        Assert.Equal(0, RunToEnd(Args(straightDir)));

        using (var p = Start(Args(splitDir)))
        {
            var first = Checkpointer.IterPath(splitDir, 1);
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (!File.Exists(first) && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.True(File.Exists(first), $"no first checkpoint {first} (exited: {p.HasExited})");
            Assert.Equal(0, kill(p.Id, 15));
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "the process did not stop after SIGTERM");
            Assert.Equal(143, p.ExitCode);
        }
        var saved = Checkpointer.ListIterCheckpoints(splitDir);
        Assert.NotEmpty(saved);
        long stoppedAt = saved[^1].Iteration;
        Assert.InRange(stoppedAt, 1, MaxIters - 1); // stopped early, with what it had done saved
        Assert.Contains("SIGTERM", File.ReadAllText(Path.Combine(splitDir, "train.log")));

        Assert.Equal(0, RunToEnd(Args(splitDir, "--resume", "auto")));

        using var ca = Checkpointer.Load(Checkpointer.IterPath(straightDir, MaxIters));
        using var cb = Checkpointer.Load(Checkpointer.IterPath(splitDir, MaxIters));
        Assert.Equal(ca.Model.Keys.Order(), cb.Model.Keys.Order());
        foreach (var key in ca.Model.Keys)
        {
            var diff = (ca.Model[key].to(torch.ScalarType.Float64) - cb.Model[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            Assert.True(diff == 0, $"{key}: max abs diff {diff} after SIGTERM at {stoppedAt} and --resume auto");
        }
    }
}
