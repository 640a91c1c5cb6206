using System.Diagnostics;

namespace Segmenter.Training;

/// <summary>
/// train.checkpoint_every_minutes: a checkpoint is due when that much wall time passed since the last one (or since
/// the start). Iteration intervals alone may leave hours unsaved on a slow model, and a preemption's grace time (set
/// by the cluster's administrator) may be too short to finish a long step. Only rank 0 writes checkpoints, so the
/// other ranks need not agree on the time; which iterations get a checkpoint does not change the training itself.
/// </summary>
public sealed class CheckpointClock
{
    private readonly double _minutes;
    private readonly Func<TimeSpan> _now;
    private TimeSpan _last;

    /// <param name="minutes">train.checkpoint_every_minutes; 0 = never due.</param>
    /// <param name="now">The elapsed time (tests pass their own); default a stopwatch started here.</param>
    public CheckpointClock(double minutes, Func<TimeSpan>? now = null)
    {
        _minutes = minutes;
        if (now is null)
        {
            var watch = Stopwatch.StartNew();
            now = () => watch.Elapsed;
        }
        _now = now;
        _last = _now();
    }

    /// <summary>True when the clock is on and the minutes passed since the last <see cref="Saved"/> (or the start).</summary>
    public bool IsDue => _minutes > 0 && (_now() - _last).TotalMinutes >= _minutes;

    /// <summary>Records that a checkpoint was just written.</summary>
    public void Saved() => _last = _now();
}
