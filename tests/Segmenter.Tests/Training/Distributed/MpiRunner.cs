using System.Diagnostics;

namespace Segmenter.Tests.Training.Distributed;

/// <summary>
/// Runs the built `segment` CLI under `mpirun --allow-run-as-root -np N` (TERM=dumb keeps Open MPI's output plain).
/// <see cref="Available"/> is false when mpirun is not installed (scripts/test.sh installs Open MPI when it can); the
/// tests then return early and say so in their output.
/// </summary>
public static class MpiRunner
{
    public static readonly string? MpiRun = FindMpiRun();

    public static bool Available => MpiRun is not null;

    public const string Missing = "SKIPPED: mpirun not found (install openmpi-bin libopenmpi-dev, or run scripts/test.sh which does)";

    /// <summary>The segment.dll copied next to the tests (the test project references the CLI).</summary>
    public static string SegmentDll => Path.Combine(AppContext.BaseDirectory, "segment.dll");

    public sealed record Result(int Exit, string Out, string Err, double Seconds)
    {
        public string All => Out + "\n" + Err;
    }

    /// <summary>mpirun [mpiArgs] -np <paramref name="np"/> dotnet segment.dll [args]; killed after <paramref name="timeoutSeconds"/>.</summary>
    public static Result Run(int np, IEnumerable<string> args, IEnumerable<string>? mpiArgs = null, int timeoutSeconds = 180,
        IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(MpiRun!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--allow-run-as-root", "-np", np.ToString() }) psi.ArgumentList.Add(a);
        if (np > 2) psi.ArgumentList.Add("--oversubscribe");
        foreach (var a in mpiArgs ?? []) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(SegmentDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new Result(-1, stdout.Result, stderr.Result + $"\n(mpirun killed after {timeoutSeconds} s: hang)", watch.Elapsed.TotalSeconds);
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result, watch.Elapsed.TotalSeconds);
    }

    private static string? FindMpiRun()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, "mpirun");
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
