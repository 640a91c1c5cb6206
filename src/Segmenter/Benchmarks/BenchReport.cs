using System.Globalization;

namespace Segmenter.Benchmarks;

/// <summary>`segment bench`'s table (ratios to the first variant) and JSON of training-step results.</summary>
public static class BenchReport
{
    /// <summary>The results as a JSON array, one object per variant (seconds, bytes, counts; snake_case keys).</summary>
    public static string ToJson(IReadOnlyList<BenchResult> results) =>
        System.Text.Json.JsonSerializer.Serialize(results.Select(r => new Dictionary<string, object?>
        {
            ["name"] = r.Name, ["parameters"] = r.Parameters, ["macs"] = r.Macs?.Total, ["step_s"] = r.StepSeconds, ["data_s"] = r.DataSeconds,
            ["forward_s"] = r.Phases?.ForwardSeconds, ["backward_s"] = r.Phases?.BackwardSeconds, ["optimizer_s"] = r.Phases?.OptimizerSeconds,
            ["step_cpu_s"] = r.Phases?.StepCpuSeconds, ["forward_cpu_s"] = r.Phases?.ForwardCpuSeconds, ["backward_cpu_s"] = r.Phases?.BackwardCpuSeconds,
            ["optimizer_cpu_s"] = r.Phases?.OptimizerCpuSeconds,
            ["images_per_s"] = r.ImagesPerSecond, ["peak_rss_bytes"] = r.PeakRssBytes, ["rss_growth_bytes"] = r.RssGrowthBytes, ["replicas"] = r.Replicas, ["rounds"] = r.Rounds,
            ["rss_at"] = r.RssAt.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
        }), new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// One row per variant, ratios to the first row. GMACs: multiply-adds of one training forward per image at the
    /// crop size (aux head included). peak MB: the process's peak RSS during the variant; +MB: that peak minus the
    /// RSS before the variant's model was built (freed memory is returned first), the per-variant figure to compare.
    /// </summary>
    public static string Format(IReadOnlyList<BenchResult> results)
    {
        var first = results[0];
        static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("F3", CultureInfo.InvariantCulture) : "-";
        static string Gmacs(BenchResult r) => r.Macs is { } m ? (m.Total / 1e9).ToString("F2", CultureInfo.InvariantCulture) : "-";
        var lines = new List<string>
        {
            $"{"variant",-16} {"params",12} {"GMACs",8} {"step s",9} {"data s",8} {"img/s",8} {"peak MB",8} {"+MB",6} " +
            $"{"params x",9} {"MACs x",7} {"time x",7} {"+MB x",6}",
        };
        foreach (var r in results)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name,-16} {r.Parameters,12:N0} {Gmacs(r),8} {r.StepSeconds,9:F4} {r.DataSeconds,8:F4} {r.ImagesPerSecond,8:F2} {r.PeakRssBytes >> 20,8} {r.RssGrowthBytes >> 20,6} " +
                $"{Ratio(r.Parameters, first.Parameters),9} {Ratio(r.Macs?.Total ?? 0, first.Macs?.Total ?? 0),7} {Ratio(r.StepSeconds, first.StepSeconds),7} {Ratio(r.RssGrowthBytes, first.RssGrowthBytes),6}"));
        foreach (var r in results.Where(r => r.Macs is { Attention: > 0 }))
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name} attention: {r.Macs!.Attention / 1e9:F3} GMACs ({100.0 * r.Macs.Attention / r.Macs.Total:F2} % of the forward) at {r.Macs.Height}x{r.Macs.Width}"));
        if (first.Rounds > 1)
            lines.Add($"times are means over {first.Rounds} interleaved rounds of each variant; memory is the largest growth of any round");
        foreach (var r in results.Where(r => r.Phases is not null))
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name} phases: forward+loss {r.Phases!.ForwardSeconds:F4} s, backward {r.Phases.BackwardSeconds:F4} s, optimizer {r.Phases.OptimizerSeconds:F4} s; " +
                $"process CPU time per step {r.Phases.StepCpuSeconds:F4} s ({r.Phases.ForwardCpuSeconds:F4} / {r.Phases.BackwardCpuSeconds:F4} / {r.Phases.OptimizerCpuSeconds:F4})"));
        foreach (var r in results.Where(r => r.Replicas > 1 || r.ReduceSeconds > 0))
            lines.Add($"{r.Name} {r.Replicas} replicas: gradient reduction {r.ReduceSeconds:F4} s ({100 * r.ReduceSeconds / r.StepSeconds:F1}% of the step), " +
                      $"parameter broadcast {r.BroadcastSeconds:F4} s ({100 * r.BroadcastSeconds / r.StepSeconds:F1}%), " +
                      $"waiting for the slowest replica {r.WaitSeconds:F4} s ({100 * r.WaitSeconds / r.StepSeconds:F1}%)");
        foreach (var r in results.Where(r => r.RssAt.Count > 0))
            lines.Add($"{r.Name} rss: " + string.Join(", ", r.RssAt.Select(kv => $"iter {kv.Key}: {kv.Value >> 20} MB")));
        return string.Join(Environment.NewLine, lines);
    }
}
