using Segmenter.Logging;
using Spectre.Console;

namespace Segmenter.Cli.Progress;

/// <summary>Chooses how long loops show progress: bars (SpectreProgressReporter) on an interactive terminal, otherwise nothing new,
/// so redirected output (logs, CI, the CLI tests that parse it) keeps exactly today's log lines.</summary>
public static class ProgressConsole
{
    /// <summary>The verbs whose loops draw bars (issue #16): eval, predict, data check, data synth, report. Train keeps its log lines.</summary>
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "eval", "predict", "check", "synth", "report" };

    /// <summary>True when stdout is a terminal that can redraw a bar: not redirected, TERM not "dumb", SEGMENTER_PROGRESS not 0.</summary>
    public static bool Interactive(bool outputRedirected, string? term, string? setting) =>
        !outputRedirected && term != "dumb" && setting != "0";

    public static bool IsInteractive =>
        Interactive(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("TERM"), Environment.GetEnvironmentVariable("SEGMENTER_PROGRESS"));

    /// <summary>Bars for the loops of <paramref name="verb"/> until disposed (nothing when not interactive or another verb).</summary>
    public static IDisposable Start(string verb)
    {
        if (!Verbs.Contains(verb) || !IsInteractive) return new Nothing();
        var reporter = new SpectreProgressReporter(AnsiConsole.Console);
        var scope = ProgressReporting.Use(reporter);
        return new Both(scope, reporter);
    }

    private sealed class Nothing : IDisposable { public void Dispose() { } }

    private sealed class Both(IDisposable scope, IDisposable reporter) : IDisposable
    {
        public void Dispose() { reporter.Dispose(); scope.Dispose(); }
    }
}
