using System.Diagnostics;

namespace Segmenter.Data;

/// <summary>
/// Where <see cref="TrainTransform"/>'s time goes, summed over the samples it was passed to (Stopwatch ticks per step):
/// `segment bench --data` prints it. Not thread-safe: one instance per thread.
/// </summary>
public sealed class TransformStepTimes
{
    public long RescaleCrop, Flip, PhotoMetric, NormalizePad;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="step"/> and returns now (the next step's start).</summary>
    internal static long Lap(ref long step, long start)
    {
        long now = Stopwatch.GetTimestamp();
        step += now - start;
        return now;
    }
}
