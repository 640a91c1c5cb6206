using System.Diagnostics;

namespace Segmenter.Data;

/// <summary>
/// Where <see cref="TrainTransform"/>'s time goes, summed over the samples it was passed to (Stopwatch ticks per step):
/// `segment bench --data` prints it. Not thread-safe: one instance per thread.
/// </summary>
public sealed class TransformStepTimes
{
    private long _last;
    public long RescaleCrop, Flip, PhotoMetric, NormalizePad;

    /// <summary>Starts the clock for the first step.</summary>
    internal void Start() => _last = Stopwatch.GetTimestamp();

    /// <summary>Adds the time since the previous step ended (or <see cref="Start"/>) to <paramref name="step"/>.</summary>
    internal void End(ref long step)
    {
        long now = Stopwatch.GetTimestamp();
        step += now - _last;
        _last = now;
    }
}
