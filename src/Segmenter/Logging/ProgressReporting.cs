namespace Segmenter.Logging;

/// <summary>Receives the progress of a long library loop (eval, predict, data check, synth, report): <paramref name="current"/>
/// of <paramref name="total"/> items of the task named <paramref name="label"/>. Called from the loop's thread (DataChecker: from
/// worker threads, counts increasing); implementations must be cheap and thread-safe. The CLI draws a bar with ETA from it on an
/// interactive terminal (src/Segmenter.Cli/Progress); the default does nothing, so a library caller sees no output it did not ask for.</summary>
public interface IProgressReporter
{
    void Report(string label, long current, long total);
}

/// <summary>The reporter the library's loops report to: ambient (flows with the async/thread context that set it, like
/// Activity.Current), so loops need no extra parameter and tests running in parallel do not see each other's reporter.</summary>
public static class ProgressReporting
{
    private static readonly AsyncLocal<IProgressReporter?> Ambient = new();

    public static IProgressReporter Current => Ambient.Value ?? NoProgress.Instance;

    /// <summary>Report one step of a loop to <see cref="Current"/>.</summary>
    public static void Report(string label, long current, long total) => Current.Report(label, current, total);

    /// <summary>Use <paramref name="reporter"/> until the returned scope is disposed (then the previous one again).</summary>
    public static IDisposable Use(IProgressReporter reporter)
    {
        var previous = Ambient.Value;
        Ambient.Value = reporter;
        return new Restore(previous);
    }

    private sealed class Restore(IProgressReporter? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>The default reporter: ignores every report.</summary>
public sealed class NoProgress : IProgressReporter
{
    public static readonly NoProgress Instance = new();
    public void Report(string label, long current, long total) { }
}
