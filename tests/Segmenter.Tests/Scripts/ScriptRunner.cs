namespace Segmenter.Tests.Scripts;

/// <summary>Runs a script of scripts/ with bash from the repository root and returns its exit code and output.</summary>
internal static class ScriptRunner
{
    public static (int Code, string Stdout, string Stderr) Run(string script, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null) =>
        ExternalProcess.Run("bash", [Path.Combine(TestPaths.RepoRoot, "scripts", script), .. args], environment: env);
}
