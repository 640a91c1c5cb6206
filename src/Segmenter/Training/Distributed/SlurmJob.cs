using System.Diagnostics;
using System.Globalization;
using Serilog;

namespace Segmenter.Training.Distributed;

/// <summary>
/// The Slurm job this process runs in, read from the variables Slurm gives every task and batch script: SLURM_JOB_ID,
/// SLURM_RESTART_COUNT (how often the job was requeued; absent before the first requeue), SLURM_JOB_NAME. Null
/// outside Slurm. Rank and world size come from <see cref="DistributedEnvironment"/>, which reads SLURM_PROCID and
/// SLURM_NTASKS inside a job step.
/// </summary>
public sealed record SlurmJob(string JobId, int RestartCount, string? Name)
{
    /// <summary>Reads the current process environment.</summary>
    public static SlurmJob? Detect() => Detect(name => Environment.GetEnvironmentVariable(name));

    /// <summary>Reads the variables through <paramref name="get"/> (tests pass a dictionary).</summary>
    public static SlurmJob? Detect(Func<string, string?> get)
    {
        var id = get("SLURM_JOB_ID") ?? get("SLURM_JOBID");
        if (string.IsNullOrWhiteSpace(id)) return null;
        int restarts = int.TryParse(get("SLURM_RESTART_COUNT"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        return new SlurmJob(id.Trim(), restarts, get("SLURM_JOB_NAME"));
    }

    /// <summary>Logs the job id and SLURM_RESTART_COUNT, so a requeued run's log shows which run of the job it is.</summary>
    public void LogStart() =>
        Log.Information("Slurm job {JobId} ({Name}), SLURM_RESTART_COUNT={Restarts}{Note}", JobId, Name ?? "", RestartCount,
            RestartCount > 0 ? " (a requeued run; --resume auto continues from the last checkpoint)" : "");

    /// <summary>
    /// `scontrol requeue JOBID` (Submitit's and Lightning's answer to the requeue signal): Slurm ends this run (SIGTERM,
    /// then SIGKILL after KillWait) and queues the job again with SLURM_RESTART_COUNT + 1. Returns whether scontrol
    /// succeeded; a failure is logged as one line (the checkpoint is written already, so nothing is lost).
    /// </summary>
    public bool Requeue(string scontrol = "scontrol", int timeoutSeconds = 60)
    {
        try
        {
            var psi = new ProcessStartInfo(scontrol) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("requeue");
            psi.ArgumentList.Add(JobId);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(entireProcessTree: true);
                Log.Error("scontrol requeue {JobId} did not answer in {Seconds} s; requeue the job by hand (the checkpoint is written)", JobId, timeoutSeconds);
                return false;
            }
            p.WaitForExit();
            var said = (stdout.Result + stderr.Result).Trim();
            if (p.ExitCode != 0)
            {
                Log.Error("scontrol requeue {JobId} failed (exit {Code}: {Said}); submit with --requeue, or requeue by hand (the checkpoint is written)",
                    JobId, p.ExitCode, said);
                return false;
            }
            Log.Warning("Requeued Slurm job {JobId} (scontrol requeue); the next run continues with --resume auto", JobId);
            return true;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Log.Error("cannot run {Scontrol} to requeue Slurm job {JobId} ({Message}); requeue it by hand (the checkpoint is written)", scontrol, JobId, e.Message);
            return false;
        }
    }
}
