using Serilog;

namespace Segmenter.Inference;

/// <summary>
/// `segment predict` on a folder: one unreadable photo (corrupt, truncated, a bomb) must not stop the others. Each
/// failure is logged when met and the run goes on; at the end the failures are listed and the verb exits 2 (bad
/// input), with every readable image's prediction already written. A single-file input fails at once: there is
/// nothing else to predict, so its error is the verb's error.
/// </summary>
public sealed class InputFailures(int total, string input)
{
    private readonly List<SegmenterException> _failures = [];

    /// <summary>Reads one input, or records why it cannot be read (null) when the run has several inputs.</summary>
    public T? Try<T>(string path, Func<string, T> read) where T : class
    {
        try { return read(path); }
        catch (SegmenterException e) when (total > 1)
        {
            _failures.Add(e);
            Log.Error("skipped unreadable input ({Failed} so far): {Error}", _failures.Count, e.Message);
            return null;
        }
    }

    /// <summary>Lists the failures and throws one SegmenterException (exit 2) when there were any.</summary>
    public void ThrowIfAny()
    {
        if (_failures.Count == 0) return;
        Log.Error("{Failed} of {Total} inputs could not be read:", _failures.Count, total);
        foreach (var f in _failures) Log.Error("  {Error}", f.Message);
        var names = string.Join(", ", _failures.Take(5).Select(f => Path.GetFileName(f.Where ?? "?")));
        throw new SegmenterException(
            $"{_failures.Count} of {total} inputs could not be read ({names}{(_failures.Count > 5 ? ", ..." : "")}); the other {total - _failures.Count} were predicted",
            input, "repair or remove the files listed in the log above and run again on them");
    }
}
