using System.Diagnostics;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training;

public sealed record BenchResult(string Name, long Parameters, double StepSeconds, double DataSeconds, double ImagesPerSecond, long PeakRssBytes,
    IReadOnlyDictionary<long, long> RssAt);

/// <summary>
/// `segment bench`: times full training steps (forward, losses, backward, optimizer) of the config's model on
/// batches of the config's crop size, after warm-up, in one process. Data comes from the real loader when the
/// dataset exists (its wait time is the data time), else from a fixed random batch.
/// </summary>
public static class Benchmark
{
    public static BenchResult Run(string name, ExperimentConfig cfg, int iters, int warmup, IReadOnlyCollection<long>? rssAt = null)
    {
        if (cfg.Model.Type == "panoptic_deeplab") return RunPanoptic(name, cfg, iters, warmup);
        if (cfg.Train.Threads > 0) torch.set_num_threads(cfg.Train.Threads);
        var device = DeviceSelector.Parse(cfg.Train.Device);
        torch.manual_seed(cfg.Train.Seed);
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        model.to(device).train();
        long parameters = model.parameters().Sum(p => p.numel());
        var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);

        int b = cfg.Data.BatchSize, h = cfg.Data.TrainPipeline.CropSize[0], w = cfg.Data.TrainPipeline.CropSize[1];
        IEnumerator<Batch>? real = null;
        if (Directory.Exists(cfg.Data.Root))
        {
            var ds = DatasetFactory.Create(cfg.Data, train: true, numClasses: cfg.Model.NumClasses);
            real = new BatchLoader(ds, new TrainTransform(cfg.Data.TrainPipeline, cfg.Data), b, cfg.Train.Seed, cfg.Data.NumWorkers, cfg.Data.Prefetch)
                .Iterate(0).GetEnumerator();
        }
        else
        {
            Log.Information("Dataset {Root} not found: benchmarking on a fixed random batch (data time 0)", cfg.Data.Root);
        }
        var generator = new Generator(42);
        using var fixedImages = randn(new long[] { b, 3, h, w }, generator: generator).to(device);
        using var fixedLabels = randint(0, cfg.Model.NumClasses, new long[] { b, h, w }, dtype: ScalarType.Int64, generator: generator).to(device);

        double stepSum = 0, dataSum = 0;
        long peak = 0;
        var rss = new SortedDictionary<long, long>();
        for (int i = 0; i < warmup + iters; i++)
        {
            var dataWatch = Stopwatch.StartNew();
            Batch? batch = null;
            if (real is not null) { real.MoveNext(); batch = real.Current; }
            double data = dataWatch.Elapsed.TotalSeconds;
            var watch = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var (images, labels) = batch is not null ? batch.ToTensors(device) : (fixedImages.alias(), fixedLabels.alias());
                var losses = model.ComputeLosses(images, labels);
                var total = losses.Values.Aggregate((x, y) => x + y);
                optimizer.ZeroGrad();
                total.backward();
                optimizer.Step();
                _ = total.item<float>();
            }
            double step = watch.Elapsed.TotalSeconds;
            long now = TrainProgress.RssBytes();
            peak = Math.Max(peak, now);
            if (rssAt is not null && rssAt.Contains(i + 1)) rss[i + 1] = now;
            if (i >= warmup) { stepSum += step; dataSum += data; }
            if ((i + 1) % Math.Max(1, (warmup + iters) / 10) == 0)
                Log.Information("{Name}: {I}/{N} step {Step:F3} s rss {Rss} MB", name, i + 1, warmup + iters, step, now >> 20);
        }
        real?.Dispose();
        double meanStep = stepSum / iters, meanData = dataSum / iters;
        return new BenchResult(name, parameters, meanStep, meanData, b / (meanStep + meanData), peak, rss);
    }

    /// <summary>
    /// Panoptic-DeepLab / Axial-DeepLab train steps on a fixed random batch of the crop size with targets from a synthetic
    /// ground truth (two stuff halves, one thing square), so no dataset is needed; data time is 0.
    /// </summary>
    private static BenchResult RunPanoptic(string name, ExperimentConfig cfg, int iters, int warmup)
    {
        if (cfg.Train.Threads > 0) torch.set_num_threads(cfg.Train.Threads);
        var device = DeviceSelector.Parse(cfg.Train.Device);
        torch.manual_seed(cfg.Train.Seed);
        using var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg));
        model.to(device).train();
        long parameters = model.parameters().Sum(p => p.numel());
        using var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);
        int b = cfg.Data.BatchSize, h = cfg.Data.TrainPipeline.CropSize[0], w = cfg.Data.TrainPipeline.CropSize[1];
        var ids = new int[h * w];
        for (int i = 0; i < ids.Length; i++)
        {
            int y = i / w, x = i % w;
            ids[i] = y >= h / 4 && y < h / 2 && x >= w / 4 && x < w / 2 ? 3 : y < h / 2 ? 1 : 2;
        }
        int thing = Math.Max(0, cfg.Model.NumClasses - 1);
        var gt = new PanopticGroundTruth(w, h, ids, [new PanopticGtSegment(1, 1, 0, false, false), new PanopticGtSegment(2, 2, Math.Min(1, thing), false, false),
            new PanopticGtSegment(3, 3, thing, true, false)]);
        var targets = PanopticTargets.Generate(gt, Evaluation.PanopticInference.TargetOptions(cfg.Model.Panoptic, cfg.Data.IgnoreIndex));
        using var batch = PanopticTargetBatch.Stack(Enumerable.Repeat(targets, b).ToList(), device);
        using var images = randn(new long[] { b, 3, h, w }, generator: new Generator(42)).to(device);
        double stepSum = 0;
        long peak = 0;
        for (int i = 0; i < warmup + iters; i++)
        {
            var watch = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var losses = model.ComputeLosses(images, batch);
                var total = losses.Values.Aggregate((x, y) => x + y);
                optimizer.ZeroGrad();
                total.backward();
                optimizer.Step();
                _ = total.item<float>();
            }
            double step = watch.Elapsed.TotalSeconds;
            peak = Math.Max(peak, TrainProgress.RssBytes());
            if (i >= warmup) stepSum += step;
            Log.Information("{Name}: {I}/{N} step {Step:F3} s", name, i + 1, warmup + iters, step);
        }
        double meanStep = stepSum / iters;
        return new BenchResult(name, parameters, meanStep, 0, b / meanStep, peak, new SortedDictionary<long, long>());
    }
}
