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

    /// <summary>A fresh empty temp directory for one test.</summary>
    public static string NewTempDir(string prefix = "segtest")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}_{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
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
