using System.Text.Json;
using Segmenter.Training;

namespace Segmenter.Tests.EndToEnd;

/// <summary>What every semantic smoke-training test asks of a finished run: it learned.</summary>
internal static class SmokeAssertions
{
    /// <summary>The "loss" values the run logged to work_dir/metrics.jsonl, in order.</summary>
    public static List<double> LoggedLosses(string workDir) =>
        File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _))
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();

    /// <summary>
    /// Several finite losses were logged, the last is at most half the first, and the final evaluation's mIoU is above
    /// 0.3. Random weights predict (nearly) one class everywhere, which gives about (largest class share) / (classes
    /// present), below 0.15 on the synthetic sets.
    /// </summary>
    public static void AssertLearned(string workDir, TrainResult result, string? context = null)
    {
        var losses = LoggedLosses(workDir);
        Assert.True(losses.Count >= 3, "expected several logged losses");
        Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l} is not finite"));
        Assert.True(losses[^1] <= 0.5 * losses[0], $"loss fell from {losses[0]:F3} to {losses[^1]:F3}, not by half");
        Assert.NotNull(result.LastEval);
        double miou = result.LastEval!.MIoU;
        Assert.True(miou > 0.3, $"train-set mIoU {miou:F3} is not above the random-weights level{(context is null ? "" : $" ({context})")}");
    }
}
