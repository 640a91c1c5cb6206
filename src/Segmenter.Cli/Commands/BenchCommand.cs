using System.CommandLine;
using System.Globalization;
using Segmenter.Config;
using Segmenter.Training;
using Segmenter.Benchmarks;

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
        var predict = new Option<bool>("--predict") { Description = "Time inference instead of training: images/s and p50/p95 latency per engine (--engines), argmax agreement with the first." };
        var size = new Option<string>("--size") { Description = "Input size HxW for --predict.", DefaultValueFactory = _ => "512x512" };
        var engines = new Option<string>("--engines") { Description = "Engines for --predict, compared to the first: torch (fp32), torch-bf16, onnxruntime.", DefaultValueFactory = _ => "torch,torch-bf16" };
        var predictInputs = new Option<string?>("--inputs") { Description = "With --predict: a folder of images to feed (resized to --size) instead of random inputs; with trained --weights, the argmax agreement that matters." };
        var weights = new Option<string?>("--weights") { Description = "Weights for --predict (.ckpt, .safetensors, .pth); random when absent (speed does not depend on them, agreement does)." };
        var data = new Option<bool>("--data") { Description = "Time the training data pipeline on one core (decode + train transforms) on generated VOC-sized JPEGs; --data-dir keeps them for scripts/bench_data_compare.sh." };
        var dataDir = new Option<string?>("--data-dir") { Description = "With --data: where the generated images go (kept; reused when present). Default: a temporary folder." };
        var json = new Option<string?>("--json") { Description = "Also write the model variants' results (step, phases, data, memory, parameters, MACs) as JSON here, for scripts." };
        var allReduce = new Option<bool>("--allreduce") { Description = "Under mpirun/srun: all-reduce time and bandwidth by message size over the ranks (no --config needed)." };
        var allReduceMaxMb = new Option<int>("--allreduce-max-mb") { Description = "Largest all-reduce message for --allreduce, in MB.", DefaultValueFactory = _ => 64 };
        var cmd = new Command("bench", "Time training steps: step time, data time, images/s, peak RSS (and ratios between model variants); with --compare-block or --compare-heads, single blocks or decode heads alone.")
        {
            config, cfgOptions, iters, warmup, rssAt, attention, device, replicas, block, blockWidth, blockSize, blockBatch,
            heads, sizes, inChannels, channels, keyChannels, batch, json, rounds, predict, size, engines, weights, predictInputs, data, dataDir, allReduce, allReduceMaxMb,
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
            if (parse.GetValue(data))
            {
                var dir = parse.GetValue(dataDir) ?? Path.Combine(Path.GetTempPath(), $"segmenter_bench_data_{Environment.ProcessId}");
                if (!Directory.Exists(Path.Combine(dir, "images"))) DataBenchmark.WriteImages(dir, count: 32);
                try
                {
                    var dataResult = DataBenchmark.Run(ConfigLoader.Load(path, overrides), dir, parse.GetValue(rounds));
                    Console.WriteLine(DataBenchmark.Format(dataResult));
                    if (parse.GetValue(json) is { } dataJson) IO.AtomicFile.WriteAllText(dataJson, DataBenchmark.ToJson(dataResult));
                }
                finally
                {
                    if (parse.GetValue(dataDir) is null) Directory.Delete(dir, recursive: true);
                }
                return 0;
            }
            if (parse.GetValue(predict))
            {
                var (h, w) = HeadBenchmark.ParseSizes(parse.GetValue(size)!).Single();
                var engineList = parse.GetValue(engines)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var predictResults = PredictBenchmark.Run(ConfigLoader.Load(path, overrides), parse.GetValue(weights), h, w, engineList,
                    parse.GetValue(iters), parse.GetValue(warmup), parse.GetValue(batch), parse.GetValue(rounds), parse.GetValue(predictInputs));
                Console.WriteLine(PredictBenchmark.Format(predictResults));
                if (parse.GetValue(json) is { } predictJson) IO.AtomicFile.WriteAllText(predictJson, PredictBenchmark.ToJson(predictResults));
                return 0;
            }
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
                Benchmark.Run("prime (discarded)", AttentionVariants.Config(path, overrides, variants[0]), 1, 0);
            int roundCount = Math.Max(1, parse.GetValue(rounds));
            var perVariant = variants.Select(_ => new List<BenchResult>()).ToList();
            for (int r = 0; r < roundCount; r++)
                for (int i = 0; i < variants.Length; i++)
                    perVariant[i].Add(Benchmark.Run(variants[i], AttentionVariants.Config(path, overrides, variants[i]), parse.GetValue(iters), parse.GetValue(warmup), marks));
            results.AddRange(perVariant.Select(BenchResult.Combine));
            Console.WriteLine(BenchReport.Format(results));
            if (parse.GetValue(json) is { } jsonPath)
            {
                IO.AtomicFile.WriteAllText(jsonPath, BenchReport.ToJson(results));
                Serilog.Log.Information("Wrote {Path}", Path.GetFullPath(jsonPath));
            }
            return 0;
        }));
        return cmd;
    }

}
