using System.Diagnostics;
using System.Text.RegularExpressions;
using Segmenter.Checkpoints;
using Xunit.Abstractions;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>
/// Issue 26: `segment train` as a job of a real one-node Slurm (scripts/slurm_local.sh). A 2-task sbatch job launched by
/// `srun --mpi=pmix` and one launched by mpirun inside the allocation equal one process with the whole batch; a job
/// requeued twice at random moments ends bit-identical to the uninterrupted job, its log showing the restart count; a
/// job sent the requeue signal (train.requeue_signal) checkpoints and requeues itself.
/// </summary>
[Collection("cli")]
public sealed class SlurmJobTests(LocalSlurm slurm, ITestOutputHelper output) : IClassFixture<LocalSlurm>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The uninterrupted 2-task srun job, shared by the srun test and the requeue tests as their reference.</summary>
    private static Lazy<(string Dir, string Output, string Id)>? _srunJob;

    private bool Skip()
    {
        if (LocalSlurm.SkipReason is { } why) { output.WriteLine(why); return true; }
        Assert.Null(slurm.StartError);
        return false;
    }

    /// <summary>
    /// A batch script as in scripts/segment.sbatch: the launch line runs in the background so that bash can forward the
    /// requeue signal (`--signal=B:USR1@...` signals the batch shell only) to srun, which forwards it to every rank.
    /// </summary>
    private static string BatchScript(string dir, string launch, params string[] sbatch)
    {
        var path = Path.Combine(dir, "job.sbatch");
        File.WriteAllText(path, $"""
            #!/bin/bash
            #SBATCH --job-name=segtest
            #SBATCH --ntasks=2
            #SBATCH --output={dir}/slurm-%j.out
            #SBATCH --open-mode=append
            {string.Concat(sbatch.Select(o => $"#SBATCH {o}\n"))}
            export TERM=dumb
            {launch} &
            pid=$!
            trap 'kill -USR1 $pid' USR1
            wait $pid; rc=$?
            while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done
            exit $rc
            """.Replace("\r", ""));
        return path;
    }

    private (string Dir, string Output, string Id) SrunJob() => (_srunJob ??= new(() =>
    {
        var dir = TestPaths.NewTempDir("slurm_srun");
        var work = Path.Combine(dir, "work");
        var id = slurm.Submit(BatchScript(dir, "srun --mpi=pmix " + ClusterTraining.Shell(ClusterTraining.TrainArgs(work))));
        var end = slurm.WaitForEnd(id, JobTimeout);
        var text = JobOutput(dir);
        Assert.True(end.State == "COMPLETED", $"job {id} {end.State} exit {end.ExitCode}:\n{text}");
        return (work, text, id);
    })).Value;

    private static string JobOutput(string dir) => string.Concat(Directory.GetFiles(dir, "slurm-*.out").Select(File.ReadAllText));

    [Fact]
    public void SrunJobEqualsOneProcessWithTheWholeBatch()
    {
        if (Skip()) return;
        var watch = Stopwatch.StartNew();
        var (work, text, id) = SrunJob();
        output.WriteLine($"srun job {id}: {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("launcher pmix", text);
        Assert.Contains($"Slurm job {id} (segtest), SLURM_RESTART_COUNT=0", text);
        Assert.Contains("All 2 ranks hold bit-identical weights", text);
        ClusterTraining.AssertLikeOneProcess(work, output.WriteLine);
    }

    [Fact]
    public void MpirunInsideAnSbatchAllocationEqualsOneProcessWithTheWholeBatch()
    {
        if (Skip()) return;
        var watch = Stopwatch.StartNew();
        var dir = TestPaths.NewTempDir("slurm_mpirun");
        var work = Path.Combine(dir, "work");
        // mpirun reads the allocation (SLURM_* of the batch script) and starts its daemons with srun.
        var id = slurm.Submit(BatchScript(dir, "mpirun --allow-run-as-root " + ClusterTraining.Shell(ClusterTraining.TrainArgs(work))));
        var end = slurm.WaitForEnd(id, JobTimeout);
        var text = JobOutput(dir);
        output.WriteLine($"mpirun job {id}: {end.State} in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(end.State == "COMPLETED", $"job {id} {end.State} exit {end.ExitCode}:\n{text}");
        Assert.Contains("launcher mpirun", text);
        Assert.Contains("All 2 ranks hold bit-identical weights", text);
        ClusterTraining.AssertLikeOneProcess(work, output.WriteLine);
    }

    /// <summary>
    /// `sbatch --requeue`, then `scontrol requeue` twice at random moments of the run (Slurm sends SIGTERM to every task,
    /// the ranks finish the step, rank 0 checkpoints, and the job starts again with SLURM_RESTART_COUNT + 1 and
    /// `--resume auto`): the final weights and optimizer state are bit-identical to the uninterrupted job's.
    /// </summary>
    [Fact]
    public void JobRequeuedTwiceAtRandomMomentsEndsBitIdenticalToAnUninterruptedJob()
    {
        if (Skip()) return;
        var reference = SrunJob();
        var watch = Stopwatch.StartNew();
        int seed = Environment.TickCount;
        var random = new Random(seed);
        var dir = TestPaths.NewTempDir("slurm_requeue");
        var work = Path.Combine(dir, "work");
        var id = slurm.Submit(BatchScript(dir, "srun --mpi=pmix " + ClusterTraining.Shell(ClusterTraining.TrainArgs(work))), "--requeue");
        for (int restart = 0; restart < 2; restart++)
        {
            // A random moment: 1 to 3 iterations into this run, plus up to a second.
            int steps = random.Next(1, 4);
            WaitForIterations(work, restart, steps, id);
            Thread.Sleep(random.Next(0, 1000));
            var r = slurm.Client("scontrol", "requeue", id);
            output.WriteLine($"requeue {restart + 1} after {steps} iterations of run {restart}: {r.Out}{r.Err}".Trim());
            Assert.True(r.Exit == 0, $"scontrol requeue {id}: {r.Out}{r.Err}");
        }
        var end = slurm.WaitForEnd(id, JobTimeout);
        var text = JobOutput(dir);
        output.WriteLine($"job {id}: {end.State}, {end.Restarts} restarts, {watch.Elapsed.TotalSeconds:F1} s (random seed {seed})");
        Assert.True(end.State == "COMPLETED", $"job {id} {end.State} exit {end.ExitCode}:\n{text}");
        Assert.Equal(2, end.Restarts);
        var log = File.ReadAllText(Path.Combine(work, "train.log"));
        Assert.Contains("SLURM_RESTART_COUNT=2 (a requeued run", log);
        Assert.Equal(2, Regex.Matches(log, "Resumed from").Count);
        // Each requeue reached rank 0 as SIGTERM (it then stops after the step and checkpoints, if KillWait allows).
        Assert.Equal(2, Regex.Matches(log, "SIGTERM: stopping after this iteration").Count);
        output.WriteLine(string.Join("\n", log.Split('\n').Where(l => l.Contains("Interrupted") || l.Contains("Resumed") || l.Contains("SLURM_RESTART"))));
        ClusterTraining.AssertBitIdentical(Checkpointer.IterPath(reference.Dir, ClusterTraining.Iters), Checkpointer.IterPath(work, ClusterTraining.Iters));
    }

    /// <summary>
    /// The signal route: train.requeue_signal SIGUSR1 and the signal sent to the batch shell as `--signal=B:USR1@T`
    /// does (here at once, with `scancel --batch --signal=USR1`): the script forwards it to srun, every rank stops after
    /// the step, rank 0 checkpoints and runs `scontrol requeue` itself; the requeued run resumes and the job ends
    /// bit-identical to the uninterrupted one.
    /// </summary>
    [Fact]
    public void RequeueSignalMakesTheJobRequeueItself()
    {
        if (Skip()) return;
        var reference = SrunJob();
        var watch = Stopwatch.StartNew();
        var dir = TestPaths.NewTempDir("slurm_signal");
        var work = Path.Combine(dir, "work");
        var launch = "srun --mpi=pmix " + ClusterTraining.Shell(ClusterTraining.TrainArgs(work, "train.requeue_signal=SIGUSR1"));
        var id = slurm.Submit(BatchScript(dir, launch, "--signal=B:USR1@30"), "--requeue");
        WaitForIterations(work, 0, 2, id);
        var r = slurm.Client("scancel", "--batch", "--signal=USR1", id);
        Assert.True(r.Exit == 0, $"scancel --batch --signal=USR1 {id}: {r.Out}{r.Err}");
        var end = slurm.WaitForEnd(id, JobTimeout);
        var text = JobOutput(dir);
        output.WriteLine($"job {id}: {end.State}, {end.Restarts} restarts, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(end.State == "COMPLETED", $"job {id} {end.State} exit {end.ExitCode}:\n{text}");
        Assert.Equal(1, end.Restarts); // nobody but the job itself requeued it
        var log = File.ReadAllText(Path.Combine(work, "train.log"));
        Assert.Contains("SIGUSR1: stopping after this iteration", log);
        Assert.Contains($"Requeued Slurm job {id} (scontrol requeue)", log);
        Assert.Contains("SLURM_RESTART_COUNT=1 (a requeued run", log);
        ClusterTraining.AssertBitIdentical(Checkpointer.IterPath(reference.Dir, ClusterTraining.Iters), Checkpointer.IterPath(work, ClusterTraining.Iters));
    }

    /// <summary>Waits until the run with SLURM_RESTART_COUNT=<paramref name="restart"/> logged <paramref name="iterations"/> iterations.</summary>
    private void WaitForIterations(string work, int restart, int iterations, string id)
    {
        var log = Path.Combine(work, "train.log");
        var until = DateTime.UtcNow + JobTimeout;
        while (DateTime.UtcNow < until)
        {
            if (File.Exists(log))
            {
                string text;
                using (var s = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    text = new StreamReader(s).ReadToEnd();
                int at = text.LastIndexOf($"SLURM_RESTART_COUNT={restart}", StringComparison.Ordinal);
                if (at >= 0 && Regex.Matches(text[at..], @" INF iter \d+/").Count >= iterations) return;
            }
            var job = slurm.Job(id);
            Assert.True(job.State is "PENDING" or "RUNNING" or "CONFIGURING" or "REQUEUED" or "COMPLETING" or "REQUEUE_HOLD" or "REQUEUE_FED",
                $"job {id} is {job.State} while waiting for {iterations} iterations of run {restart}");
            Thread.Sleep(100);
        }
        throw new TimeoutException($"run {restart} of job {id} did not log {iterations} iterations in {JobTimeout.TotalMinutes} minutes");
    }
}
