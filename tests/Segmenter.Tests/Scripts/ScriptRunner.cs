using System.Diagnostics;

namespace Segmenter.Tests.Scripts;

/// <summary>Runs a script of scripts/ with bash from the repository root and returns its exit code and output.</summary>
internal static class ScriptRunner
{
    public static (int Code, string Stdout, string Stderr) Run(string script, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "scripts", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
