using System.Diagnostics;

namespace Segmenter.Tests;

/// <summary>Runs another program (Debian's python3, bash scripts, dotnet) and returns its exit code and both outputs.</summary>
public static class ExternalProcess
{
    public static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? TestPaths.RepoRoot,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Debian's python3 (PyTorch 1.13, onnx 1.12), not the pyenv one.</summary>
    public static (int Exit, string Out, string Err) Python(params string[] args) => Run("/usr/bin/python3", args);
}
