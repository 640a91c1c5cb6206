using System.CommandLine;
using System.Globalization;
using Segmenter.Config;
using Segmenter.Training;

namespace Segmenter.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config(required: false);
        var cfgOptions = CommonOptions.CfgOptions();
        var iters = new Option<int>("--iters") { Description = "Timed iterations.", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up iterations.", DefaultValueFactory = _ => 3 };
        var rssAt = new Option<string?>("--rss-at") { Description = "Record resident memory after these iterations, e.g. 200,2000 (memory-flatness check)." };
        var attention = new Option<string?>("--compare-attention") { Description = "Also run these backbone attention variants and print ratios to the first, e.g. none,psa-parallel,psa-sequential." };
        var block = new Option<bool>("--compare-block") { Description = "Instead of the config's model: one axial bottleneck vs the same bottleneck with a 3x3 conv (forward+backward)." };
        var blockWidth = new Option<int>("--block-width") { Description = "Attention / 3x3 width w of the compared blocks (input and output 2w).", DefaultValueFactory = _ => 128 };
        var blockSize = new Option<int>("--block-size") { Description = "Feature size (square) of the compared blocks.", DefaultValueFactory = _ => 56 };
        var blockBatch = new Option<int>("--block-batch") { Description = "Batch size of the compared blocks.", DefaultValueFactory = _ => 2 };
        var cmd = new Command("bench", "Time training steps: step time, data time, images/s, peak RSS (and ratios between model variants).")
        {
            config, cfgOptions, iters, warmup, rssAt, attention, block, blockWidth, blockSize, blockBatch,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            if (parse.GetValue(block))
            {
                var r = BlockBenchmark.Run(parse.GetValue(blockWidth), parse.GetValue(blockSize), parse.GetValue(blockBatch), parse.GetValue(iters), parse.GetValue(warmup));
                Console.WriteLine($"{"block",-10} {"params",10} {"step s",9} {"time x",7}");
                foreach (var b in r) Console.WriteLine($"{b.Name,-10} {b.Parameters,10:N0} {b.StepSeconds,9:F4} {b.StepSeconds / r[^1].StepSeconds,7:F2}");
                return 0;
            }
            var path = parse.GetValue(config)
                ?? throw new SegmenterException("no config given", "--config", "pass --config <yaml>, or use --compare-block");
            var overrides = parse.GetValue(cfgOptions) ?? [];
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
        foreach (var r in results.Where(r => r.RssAt.Count > 0))
            lines.Add($"{r.Name} rss: " + string.Join(", ", r.RssAt.Select(kv => $"iter {kv.Key}: {kv.Value >> 20} MB")));
        return string.Join(Environment.NewLine, lines);
    }
}
