using System.CommandLine;
using System.Globalization;
using Segmenter.Config;
using Segmenter.Training;

namespace Segmenter.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var cfgOptions = CommonOptions.CfgOptions();
        var iters = new Option<int>("--iters") { Description = "Timed iterations.", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up iterations.", DefaultValueFactory = _ => 3 };
        var rssAt = new Option<string?>("--rss-at") { Description = "Record resident memory after these iterations, e.g. 200,2000 (memory-flatness check)." };
        var device = CommonOptions.Device();
        var replicas = new Option<int?>("--replicas") { Description = "Data-parallel replicas (overrides train.replicas); with --device cpu they share the CPU, to measure the machinery." };
        var attention = new Option<string?>("--compare-attention") { Description = "Also run these backbone attention variants and print ratios to the first, e.g. none,psa-parallel,psa-sequential." };
        var cmd = new Command("bench", "Time training steps: step time, data time, images/s, peak RSS (and ratios between model variants).")
        {
            config, cfgOptions, iters, warmup, rssAt, attention, device, replicas,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var path = parse.GetValue(config)!;
            var overrides = (parse.GetValue(cfgOptions) ?? []).ToList();
            if (parse.GetValue(device) is { } d) overrides.Add($"train.device={d}");
            if (parse.GetValue(replicas) is { } n) overrides.Add($"train.replicas={n}");
            var marks = parse.GetValue(rssAt)?.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var variants = parse.GetValue(attention)?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];
            var results = new List<BenchResult>();
            if (variants.Length == 0)
            {
                results.Add(Benchmark.Run("model", ConfigLoader.Load(path, overrides), parse.GetValue(iters), parse.GetValue(warmup), marks));
            }
            foreach (var v in variants)
            {
                var (type, layout) = v switch
                {
                    "none" => ("none", "parallel"),
                    "psa-parallel" => ("psa", "parallel"),
                    "psa-sequential" => ("psa", "sequential"),
                    _ => throw new SegmenterException($"unknown attention variant '{v}'", "--compare-attention", "use none, psa-parallel, psa-sequential"),
                };
                var cfg = ConfigLoader.Load(path, [.. overrides, $"model.backbone.attention.type={type}", $"model.backbone.attention.layout={layout}"]);
                results.Add(Benchmark.Run(v, cfg, parse.GetValue(iters), parse.GetValue(warmup), marks));
            }
            Console.WriteLine(Format(results));
            return 0;
        }));
        return cmd;
    }

    private static string Format(IReadOnlyList<BenchResult> results)
    {
        var first = results[0];
        var lines = new List<string> { $"{"variant",-16} {"params",12} {"step s",9} {"data s",8} {"img/s",8} {"peak MB",8} {"params x",9} {"time x",7} {"rss x",6}" };
        foreach (var r in results)
            lines.Add($"{r.Name,-16} {r.Parameters,12:N0} {r.StepSeconds,9:F4} {r.DataSeconds,8:F4} {r.ImagesPerSecond,8:F2} {r.PeakRssBytes >> 20,8} " +
                      $"{(double)r.Parameters / first.Parameters,9:F4} {r.StepSeconds / first.StepSeconds,7:F3} {(double)r.PeakRssBytes / first.PeakRssBytes,6:F3}");
        foreach (var r in results.Where(r => r.Replicas > 1 || r.ReduceSeconds > 0))
            lines.Add($"{r.Name} {r.Replicas} replicas: gradient reduction {r.ReduceSeconds:F4} s ({100 * r.ReduceSeconds / r.StepSeconds:F1}% of the step), " +
                      $"parameter broadcast {r.BroadcastSeconds:F4} s ({100 * r.BroadcastSeconds / r.StepSeconds:F1}%), " +
                      $"waiting for the slowest replica {r.WaitSeconds:F4} s ({100 * r.WaitSeconds / r.StepSeconds:F1}%)");
        foreach (var r in results.Where(r => r.RssAt.Count > 0))
            lines.Add($"{r.Name} rss: " + string.Join(", ", r.RssAt.Select(kv => $"iter {kv.Key}: {kv.Value >> 20} MB")));
        return string.Join(Environment.NewLine, lines);
    }
}
