namespace Segmenter.Tests;

/// <summary>
/// Where tests find the read-only inputs. Environment variables override the defaults, which lie next to the repo:
/// SEGMENTER_FIXTURES (../shared/fixtures), SEGMENTER_METRICS (../shared/metrics), SEGMENTER_DATASETS (../shared/datasets).
/// A missing directory is a failed test, not a skip.
/// </summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Resolve("SEGMENTER_FIXTURES", "fixtures");
    public static string Metrics => Resolve("SEGMENTER_METRICS", "metrics");
    public static string Datasets => Resolve("SEGMENTER_DATASETS", "datasets");
    public static string Configs => Path.Combine(RepoRoot, "configs");

    /// <summary>
    /// A fresh empty temp directory for one test, under this test run's root (<see cref="RunRoot"/>). Smoke, resume and
    /// CLI tests write checkpoints of hundreds of MB each; left in /tmp, about 45 GB piled up over this project's local
    /// runs and filled the disk. The root is deleted at process exit where the test host exits normally (vstest's
    /// testhost is usually ended without it), and otherwise by the next run, so at most one run's files remain.
    /// SEGMENTER_KEEP_TEST_DIRS=1 keeps them for debugging.
    /// </summary>
    public static string NewTempDir(string prefix = "segtest")
    {
        var dir = Path.Combine(RunRoot, $"{prefix}_{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>$TMPDIR/segmenter-tests/run_PID; roots of earlier runs whose process is gone are removed first.</summary>
    public static string RunRoot { get; } = CreateRunRoot();

    private static string CreateRunRoot()
    {
        bool keep = Environment.GetEnvironmentVariable("SEGMENTER_KEEP_TEST_DIRS") == "1";
        var parent = Path.Combine(Path.GetTempPath(), "segmenter-tests");
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.GetDirectories(parent, "run_*"))
            if (!keep && int.TryParse(Path.GetFileName(stale)["run_".Length..], out int pid) && !IsAlive(pid)) TryDelete(stale);
        var root = Path.Combine(parent, $"run_{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        if (!keep)
            AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    }

    private static bool IsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static string Resolve(string variable, string sub)
    {
        var fromEnv = Environment.GetEnvironmentVariable(variable);
        var dir = !string.IsNullOrEmpty(fromEnv) ? fromEnv : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", sub));
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{variable}: {dir} does not exist (set {variable} or place shared/ next to the repo)");
        return dir;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Segmenter.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Segmenter.sln not found above the test binaries");
    }
}
