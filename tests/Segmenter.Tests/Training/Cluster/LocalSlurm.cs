using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>
/// The one-node Slurm of scripts/slurm_local.sh (munged, slurmctld, slurmd under $TMPDIR/segmenter-tests/slurm) for the
/// tests of one class: started in the constructor, stopped in <see cref="Dispose"/>. The script's start stops what an
/// earlier run left in the same directory first, so a test host that died does not leave the next one a stale cluster.
/// <see cref="SkipReason"/> says why it cannot run here (not Linux, not root, packages missing); the tests then return
/// early and print it, as the MPI tests do.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    [DllImport("libc")]
    private static extern uint geteuid();

    private static readonly string Script = Path.Combine(TestPaths.RepoRoot, "scripts", "slurm_local.sh");
    public static readonly string Dir = Path.Combine(Path.GetTempPath(), "segmenter-tests", "slurm");

    /// <summary>Null when a local Slurm can run here, else the reason the Slurm tests are skipped.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    private readonly Lazy<string?> _started;

    public LocalSlurm() => _started = new(Start);

    /// <summary>Null when the cluster runs, else why not (the tests skip with <see cref="SkipReason"/> or fail with the start's output).</summary>
    public string? StartError => SkipReason is not null ? null : _started.Value;

    public string Conf => Path.Combine(Dir, "slurm.conf");

    private string? Start()
    {
        var r = ExternalProcess.Run("bash", [Script, "start", Dir]);
        return r.Exit == 0 ? null : $"scripts/slurm_local.sh start failed ({r.Exit}): {r.Out}{r.Err}";
    }

    public void Dispose()
    {
        if (SkipReason is null && _started.IsValueCreated) ExternalProcess.Run("bash", [Script, "stop", Dir]);
    }

    /// <summary>Runs a Slurm client (sbatch, scontrol, squeue, scancel) against this cluster.</summary>
    public (int Exit, string Out, string Err) Client(string command, params string[] args) =>
        ExternalProcess.Run(command, args, environment: new Dictionary<string, string> { ["SLURM_CONF"] = Conf });

    /// <summary>sbatch SCRIPT (extra options first); returns the job id.</summary>
    public string Submit(string script, params string[] options)
    {
        var r = Client("sbatch", ["--parsable", .. options, script]);
        if (r.Exit != 0) throw new InvalidOperationException($"sbatch failed ({r.Exit}): {r.Out}{r.Err}");
        return r.Out.Trim().Split(';')[0];
    }

    /// <summary>The job's state (PENDING, RUNNING, COMPLETED, FAILED, ...) and exit code "a:b", from scontrol.</summary>
    public (string State, string ExitCode, int Restarts) Job(string id)
    {
        var text = Client("scontrol", "show", "job", id).Out;
        string Field(string name) => Regex.Match(text, $@"\b{name}=(\S+)") is { Success: true } m ? m.Groups[1].Value : "";
        return (Field("JobState"), Field("ExitCode"), int.TryParse(Field("Restarts"), out int n) ? n : -1);
    }

    /// <summary>Waits until the job has ended for good (not pending, running, completing or requeued).</summary>
    public (string State, string ExitCode, int Restarts) WaitForEnd(string id, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = Job(id);
            if (job.State is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE")
                return job;
            if (DateTime.UtcNow > until)
            {
                Client("scancel", id);
                throw new TimeoutException($"job {id} still {job.State} after {timeout.TotalSeconds:0} s (cancelled)");
            }
            Thread.Sleep(250);
        }
    }

    private static string? FindSkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "SKIPPED: the local Slurm cluster needs Linux";
        if (geteuid() != 0) return "SKIPPED: the local Slurm cluster needs root (slurmd starts the jobs); run the tests as root";
        foreach (var tool in new[] { "munged", "slurmctld", "slurmd", "sbatch", "srun", "scontrol", "mpirun" })
            if (Which(tool) is null)
                return $"SKIPPED: {tool} not found (apt-get install slurm-wlm munge openmpi-bin libopenmpi-dev, or run scripts/test.sh which does)";
        return null;
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin:/sbin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
}
