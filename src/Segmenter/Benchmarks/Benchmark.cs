using Segmenter.Training;
using System.Diagnostics;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models;
using Segmenter.Training.Parallel;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Benchmarks;

/// <param name="Macs">Multiply-adds of one forward pass per image at the crop size (null when the model is not countable).</param>
/// <param name="StartRssBytes">Resident memory just before this variant's model was built (after freeing the previous one).</param>
/// <remarks>With several replicas (or amp): <see cref="ReduceSeconds"/> is the gradient reduction (flatten, all-reduce,
/// unflatten) and <see cref="BroadcastSeconds"/> the parameter broadcast within each mean step time;
/// <see cref="WaitSeconds"/> is replica 0 waiting for the slowest replica's backward (load imbalance).</remarks>
public sealed record BenchResult(string Name, long Parameters, double StepSeconds, double DataSeconds, double ImagesPerSecond, long PeakRssBytes,
    IReadOnlyDictionary<long, long> RssAt, int Replicas = 1, double ReduceSeconds = 0, double BroadcastSeconds = 0, double WaitSeconds = 0)
{
    public MacReport? Macs { get; init; }
    /// <summary>Mean seconds of the step's phases (single device only; null otherwise): forward with the losses, zero-grad + backward, optimizer step.</summary>
    public StepPhases? Phases { get; init; }
    public long StartRssBytes { get; init; }

    /// <summary>Peak resident memory during this variant's steps minus the memory before its model existed.</summary>
    public long RssGrowthBytes => Math.Max(0, PeakRssBytes - StartRssBytes);

    /// <summary>
    /// One result from several rounds of the same variant (interleaved with other variants so that drift in the
    /// machine's speed touches all alike): times are the mean over rounds, memory is the largest growth seen.
    /// </summary>
    public static BenchResult Combine(IReadOnlyList<BenchResult> rounds)
    {
        if (rounds.Count == 1) return rounds[0];
        var first = rounds[0];
        var worst = rounds.MaxBy(r => r.RssGrowthBytes)!;
        double Mean(Func<BenchResult, double> f) => rounds.Average(f);
        var phases = rounds.All(r => r.Phases is not null)
            ? new StepPhases(Mean(r => r.Phases!.ForwardSeconds), Mean(r => r.Phases!.BackwardSeconds), Mean(r => r.Phases!.OptimizerSeconds),
                Mean(r => r.Phases!.ForwardCpuSeconds), Mean(r => r.Phases!.BackwardCpuSeconds), Mean(r => r.Phases!.OptimizerCpuSeconds))
            : null;
        return first with
        {
            StepSeconds = Mean(r => r.StepSeconds), DataSeconds = Mean(r => r.DataSeconds), ImagesPerSecond = Mean(r => r.ImagesPerSecond),
            PeakRssBytes = worst.PeakRssBytes, StartRssBytes = worst.StartRssBytes, ReduceSeconds = Mean(r => r.ReduceSeconds),
            BroadcastSeconds = Mean(r => r.BroadcastSeconds), WaitSeconds = Mean(r => r.WaitSeconds), Phases = phases, Rounds = rounds.Count,
        };
    }

    /// <summary>How many interleaved rounds the figures average (1 = one uninterrupted run).</summary>
    public int Rounds { get; init; } = 1;
}

/// <summary>
/// `segment bench`: times full training steps (forward, losses, backward, optimizer) of the config's model on
/// batches of the config's crop size, after warm-up, in one process. Data comes from the real loader when the
/// dataset exists (its wait time is the data time), else from a fixed random batch. Several variants in one process
/// share one heap, so each run starts by returning freed memory to the OS (GC, then glibc malloc_trim) and records
/// the resident memory before its model is built; the honest per-variant memory figure is the growth above that.
/// </summary>
public static class Benchmark
{
    public static BenchResult Run(string name, ExperimentConfig cfg, int iters, int warmup, IReadOnlyCollection<long>? rssAt = null)
    {
        if (cfg.Train.Threads > 0) torch.set_num_threads(cfg.Train.Threads);
        var devices = DeviceSelector.ParseList(cfg.Train.Device, cfg.Train.Replicas);
        var device = devices[0];
        torch.manual_seed(cfg.Train.Seed);
        long startRss = MemoryTrim.TrimAndMeasure();
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        model.to(device).train();
        long parameters = model.parameters().Sum(p => p.numel());
        using var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);
        using var parallel = ParallelStep.CreateIfNeeded(cfg, model, optimizer, devices, benchmark: true);

        int b = cfg.Data.BatchSize, h = cfg.Data.TrainPipeline.CropSize.H, w = cfg.Data.TrainPipeline.CropSize.W;
        MacReport? macs = null;
        try { macs = FlopCounter.Count(model, cfg.Model, h, w); }
        catch (SegmenterException e) { Log.Warning("Multiply-adds not counted: {Reason}", e.Message); }
        IEnumerator<Batch>? real = null;
        if (Directory.Exists(cfg.Data.Root))
        {
            var task = TaskInputs.Create(cfg);
            real = new BatchLoader(task.TrainSet, new TrainTransform(cfg.Data.TrainPipeline, cfg.Data), b, cfg.Train.Seed, cfg.Data.NumWorkers, cfg.Data.Prefetch)
                { Targets = task.Targets }.Iterate(0).GetEnumerator();
        }
        else
        {
            Log.Information("Dataset {Root} not found: benchmarking on a fixed random batch (data time 0)", cfg.Data.Root);
        }
        var fixedBatch = RandomBatch(cfg, b, h, w);
        double stepSum = 0, dataSum = 0, reduceSum = 0, broadcastSum = 0, waitSum = 0;
        var phases = new StepPhaseTimer(model, optimizer, device);
        long peak = 0;
        var rss = new SortedDictionary<long, long>();
        for (int i = 0; i < warmup + iters; i++)
        {
            var dataWatch = Stopwatch.StartNew();
            Batch? batch = null;
            if (real is not null) { real.MoveNext(); batch = real.Current; }
            double data = dataWatch.Elapsed.TotalSeconds;
            var watch = Stopwatch.StartNew();
            if (parallel is not null)
            {
                var r = parallel.Step(batch ?? fixedBatch!);
                if (i >= warmup) { reduceSum += r.ReduceSeconds; broadcastSum += r.BroadcastSeconds; waitSum += r.WaitSeconds; }
            }
            else
            {
                phases.Step(() => model.ComputeLosses((batch ?? fixedBatch).ToTraining(device)), record: i >= warmup);
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
        return new BenchResult(name, parameters, meanStep, meanData, b / (meanStep + meanData), peak, rss,
            devices.Count, reduceSum / iters, broadcastSum / iters, waitSum / iters)
        {
            Macs = macs, StartRssBytes = startRss,
            Phases = phases.Mean,
        };
    }

    /// <summary>
    /// A fixed batch of random images (seeded), for when the dataset is absent. Semantic: random labels. Panoptic:
    /// targets from a synthetic ground truth (two stuff halves and one thing square) so every loss term is exercised.
    /// </summary>
    private static Batch RandomBatch(ExperimentConfig cfg, int b, int h, int w)
    {
        var generator = new Generator(42);
        using var images = randn(new long[] { b, 3, h, w }, generator: generator);
        using var labels = randint(0, cfg.Model.NumClasses, new long[] { b, h, w }, dtype: ScalarType.Int64, generator: generator);
        var ids = Enumerable.Range(0, b).Select(i => $"random{i}").ToArray();
        var batch = new Batch(0, ids, images.data<float>().ToArray(), labels.data<long>().ToArray(), b, h, w);
        if (ModelFactory.TaskOf(cfg.Model) == Models.Segmentors.SegmentationTask.Semantic) return batch;
        var segmentIds = new int[h * w];
        for (int i = 0; i < segmentIds.Length; i++)
        {
            int y = i / w, x = i % w;
            segmentIds[i] = y >= h / 4 && y < h / 2 && x >= w / 4 && x < w / 2 ? 3 : y < h / 2 ? 1 : 2;
        }
        int thing = Math.Max(0, cfg.Model.NumClasses - 1);
        var gt = new PanopticGroundTruth(w, h, segmentIds, [new PanopticGtSegment(1, 1, 0, false, false),
            new PanopticGtSegment(2, 2, Math.Min(1, thing), false, false), new PanopticGtSegment(3, 3, thing, true, false)]);
        var targets = PanopticTargets.Generate(gt, Evaluation.PanopticInference.TargetOptions(cfg.Model.Panoptic, cfg.Data.IgnoreIndex));
        return batch with { Panoptic = Enumerable.Repeat(targets, b).ToArray() };
    }
}
