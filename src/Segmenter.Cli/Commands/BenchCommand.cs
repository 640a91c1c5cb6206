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
        var device = CommonOptions.Device();
        var replicas = new Option<int?>("--replicas") { Description = "Data-parallel replicas (overrides train.replicas); with --device cpu they share the CPU, to measure the machinery." };
        var attention = new Option<string?>("--compare-attention") { Description = "Also run these backbone attention variants and print ratios to the first, e.g. none,psa-parallel,psa-sequential." };
        var block = new Option<bool>("--compare-block") { Description = "Instead of the config's model: one axial bottleneck vs the same bottleneck with a 3x3 conv (forward+backward)." };
        var blockWidth = new Option<int>("--block-width") { Description = "Attention / 3x3 width w of the compared blocks (input and output 2w).", DefaultValueFactory = _ => 128 };
        var blockSize = new Option<int>("--block-size") { Description = "Feature size (square) of the compared blocks.", DefaultValueFactory = _ => 56 };
        var blockBatch = new Option<int>("--block-batch") { Description = "Batch size of the compared blocks.", DefaultValueFactory = _ => 2 };
        var heads = new Option<string?>("--compare-heads") { Description = "Benchmark decode heads ALONE (forward+backward on a random 1/8-resolution feature), e.g. isa,nonlocal; ratios are to the first. No --config needed." };
        var sizes = new Option<string>("--sizes") { Description = "Image sizes HxW for --compare-heads (the feature is ceil(size/8)).", DefaultValueFactory = _ => "769x769,1024x2048" };
        var inChannels = new Option<int>("--in-channels") { Description = "Feature channels for --compare-heads (2048 = ResNet-50/101 layer4).", DefaultValueFactory = _ => 2048 };
        var channels = new Option<int>("--channels") { Description = "Head width for --compare-heads (mmseg ISAHead 512).", DefaultValueFactory = _ => 512 };
        var keyChannels = new Option<int>("--key-channels") { Description = "Attention key/query width for --compare-heads (isa_channels 256).", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Batch size for --compare-heads.", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "With --compare-attention: run the variants in this many interleaved rounds (--iters each) and average, so drift in machine load touches every variant alike.", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Also write the model variants' results (step, phases, data, memory, parameters, MACs) as JSON here, for scripts." };
        var allReduce = new Option<bool>("--allreduce") { Description = "Under mpirun/srun: all-reduce time and bandwidth by message size over the ranks (no --config needed)." };
        var allReduceMaxMb = new Option<int>("--allreduce-max-mb") { Description = "Largest all-reduce message for --allreduce, in MB.", DefaultValueFactory = _ => 64 };
        var cmd = new Command("bench", "Time training steps: step time, data time, images/s, peak RSS (and ratios between model variants); with --compare-block or --compare-heads, single blocks or decode heads alone.")
        {
            config, cfgOptions, iters, warmup, rssAt, attention, device, replicas, block, blockWidth, blockSize, blockBatch,
            heads, sizes, inChannels, channels, keyChannels, batch, json, rounds, allReduce, allReduceMaxMb,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            if (parse.GetValue(allReduce))
                return AllReduceBench.Run(parse.GetValue(allReduceMaxMb), parse.GetValue(iters));
            if (parse.GetValue(block))
            {
                var r = BlockBenchmark.Run(parse.GetValue(blockWidth), parse.GetValue(blockSize), parse.GetValue(blockBatch), parse.GetValue(iters), parse.GetValue(warmup));
                Console.WriteLine($"{"block",-10} {"params",10} {"step s",9} {"time x",7}");
                foreach (var b in r) Console.WriteLine($"{b.Name,-10} {b.Parameters,10:N0} {b.StepSeconds,9:F4} {b.StepSeconds / r[^1].StepSeconds,7:F2}");
                return 0;
            }
            if (parse.GetValue(heads) is { } headList)
            {
                var options = new HeadBenchOptions
                {
                    InChannels = parse.GetValue(inChannels), Channels = parse.GetValue(channels), KeyChannels = parse.GetValue(keyChannels),
                    Batch = parse.GetValue(batch), Iters = parse.GetValue(iters), Warmup = parse.GetValue(warmup),
                    Device = parse.GetValue(device) ?? "cpu",
                };
                var names = headList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var name in names)
                    if (!HeadBenchmark.Heads.Contains(name))
                        throw new SegmenterException($"unknown head '{name}'", "--compare-heads", $"use {string.Join(", ", HeadBenchmark.Heads)}");
                var headResults = new List<HeadBenchResult>();
                foreach (var (h, w) in HeadBenchmark.ParseSizes(parse.GetValue(sizes)!))
                    foreach (var name in names) headResults.Add(HeadBenchmark.Run(name, h, w, options));
                Console.WriteLine(HeadBenchmark.Format(headResults));
                return 0;
            }
            var path = parse.GetValue(config)
                ?? throw new SegmenterException("no config given", "--config", "pass --config <yaml>, or use --compare-block or --compare-heads");
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
            // One discarded step of the first variant first: LibTorch's lazy start-up (kernels, thread pools) would
            // otherwise be charged to whichever variant runs first, in time and in memory.
            if (variants.Length > 1)
                Benchmark.Run("prime (discarded)", VariantConfig(path, overrides, variants[0]), 1, 0);
            int roundCount = Math.Max(1, parse.GetValue(rounds));
            var perVariant = variants.Select(_ => new List<BenchResult>()).ToList();
            for (int r = 0; r < roundCount; r++)
                for (int i = 0; i < variants.Length; i++)
                    perVariant[i].Add(Benchmark.Run(variants[i], VariantConfig(path, overrides, variants[i]), parse.GetValue(iters), parse.GetValue(warmup), marks));
            results.AddRange(perVariant.Select(BenchResult.Combine));
            Console.WriteLine(Format(results));
            if (parse.GetValue(json) is { } jsonPath)
            {
                IO.AtomicFile.WriteAllText(jsonPath, ToJson(results));
                Serilog.Log.Information("Wrote {Path}", Path.GetFullPath(jsonPath));
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>The config with the backbone attention of one bench variant (none, psa-parallel, psa-sequential).</summary>
    private static ExperimentConfig VariantConfig(string path, IReadOnlyList<string> overrides, string variant)
    {
        var (type, layout) = variant switch
        {
            "none" => ("none", "parallel"),
            "psa-parallel" => ("psa", "parallel"),
            "psa-sequential" => ("psa", "sequential"),
            _ => throw new SegmenterException($"unknown attention variant '{variant}'", "--compare-attention", "use none, psa-parallel, psa-sequential"),
        };
        return ConfigLoader.Load(path, [.. overrides, $"model.backbone.attention.type={type}", $"model.backbone.attention.layout={layout}"]);
    }

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
