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
        var heads = new Option<string?>("--compare-heads") { Description = "Benchmark decode heads ALONE (forward+backward on a random 1/8-resolution feature), e.g. isa,nonlocal; ratios are to the first. No --config needed." };
        var sizes = new Option<string>("--sizes") { Description = "Image sizes HxW for --compare-heads (the feature is ceil(size/8)).", DefaultValueFactory = _ => "769x769,1024x2048" };
        var inChannels = new Option<int>("--in-channels") { Description = "Feature channels for --compare-heads (2048 = ResNet-50/101 layer4).", DefaultValueFactory = _ => 2048 };
        var channels = new Option<int>("--channels") { Description = "Head width for --compare-heads (mmseg ISAHead 512).", DefaultValueFactory = _ => 512 };
        var keyChannels = new Option<int>("--key-channels") { Description = "Attention key/query width for --compare-heads (isa_channels 256).", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Batch size for --compare-heads.", DefaultValueFactory = _ => 1 };
        var device = CommonOptions.Device();
        var cmd = new Command("bench", "Time training steps: step time, data time, images/s, peak RSS (and ratios between model variants); or, with --compare-heads, decode heads alone.")
        {
            config, cfgOptions, iters, warmup, rssAt, attention, heads, sizes, inChannels, channels, keyChannels, batch, device,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            if (parse.GetValue(heads) is { } headList)
            {
                var options = new HeadBenchOptions
                {
                    InChannels = parse.GetValue(inChannels), Channels = parse.GetValue(channels), KeyChannels = parse.GetValue(keyChannels),
                    Batch = parse.GetValue(batch), Iters = parse.GetValue(iters), Warmup = parse.GetValue(warmup),
                    Device = parse.GetValue(device) ?? "cpu",
                };
                var names = headList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var n in names)
                    if (!HeadBenchmark.Heads.Contains(n))
                        throw new SegmenterException($"unknown head '{n}'", "--compare-heads", $"use {string.Join(", ", HeadBenchmark.Heads)}");
                var headResults = new List<HeadBenchResult>();
                foreach (var (h, w) in HeadBenchmark.ParseSizes(parse.GetValue(sizes)!))
                    foreach (var n in names) headResults.Add(HeadBenchmark.Run(n, h, w, options));
                Console.WriteLine(HeadBenchmark.Format(headResults));
                return 0;
            }
            var path = parse.GetValue(config)
                ?? throw new SegmenterException("no config given", "--config", "pass --config <file>, or --compare-heads to benchmark heads alone");
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
