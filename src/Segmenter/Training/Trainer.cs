using System.Diagnostics;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training.Distributed;
using Segmenter.Training.Parallel;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;
using Segmenter.Checkpoints;

namespace Segmenter.Training;

/// <summary>What a training run needs besides the config.</summary>
public sealed record TrainOptions
{
    /// <summary>The merged config as YAML, stored in every checkpoint.</summary>
    public required string ConfigYaml { get; init; }
    /// <summary>null = start fresh; "auto" = the latest checkpoint in the work dir if any; otherwise a checkpoint path.</summary>
    public string? Resume { get; init; }
    /// <summary>Stop (after checkpointing) once this iteration is reached, even if max_iters is larger; resume later.</summary>
    public long? StopAt { get; init; }
    /// <summary>Ctrl+C: finish the current step, checkpoint, exit.</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>What a run produced: the iteration reached, the last iter_*.ckpt, the last validation, the loss at the first and last step.</summary>
public sealed record TrainResult(long Iteration, string? LastCheckpoint, ValidationOutcome? LastValidation, double FirstLoss, double LastLoss)
{
    /// <summary>The last validation's semantic result (a panoptic model's: its semantic branch).</summary>
    public SemanticResult? LastEval => LastValidation?.Semantic;
    /// <summary>The last validation's PQ/SQ/RQ (panoptic models only).</summary>
    public PanopticEvalResult? LastPanoptic => LastValidation?.Panoptic;
}

/// <summary>
/// The iteration-based training loop of every task (semantic and panoptic), read top to bottom: build everything from
/// the config, optionally resume, then for each iteration: batch -> forward -> losses -> backward -> (clip) -> step,
/// with logging, validation and checkpoints at their intervals. Like Detectron2's trainer it never looks inside the
/// model: the <see cref="Segmentor"/> turns a batch (with whatever targets its task needs, built by the loader's
/// workers) into named losses, and an <see cref="IValidationEvaluator"/> turns it into metrics. The batch of
/// iteration i and the model's randomness are functions of the seed and i, and the checkpoint holds the torch RNG
/// state, so a resumed run equals an uninterrupted one.
/// </summary>
public static class Trainer
{
    public static TrainResult Run(ExperimentConfig cfg, TrainOptions options)
    {
        var t = cfg.Train;
        var workDir = Path.GetFullPath(t.WorkDir);
        EnsureWritable(workDir);
        if (t.Threads > 0) torch.set_num_threads(t.Threads);
        var devices = DeviceSelector.ParseList(t.Device, t.Replicas);
        var device = devices[0];
        torch.manual_seed(t.Seed);
        // Under mpirun/srun: this process is one rank (Distributed/DistributedRun); null = a single process, which trains
        // on its own devices (in-process replicas when train.device or train.replicas asks for several).
        using var dist = DistributedRun.Start(cfg);
        if (dist?.Group is NcclCollective nccl) device = nccl.Device; // one GPU per rank: cuda:LOCAL_RANK
        bool root = dist?.IsRoot ?? true;

        // Data first: a missing dataset should fail before any model is built.
        var task = TaskInputs.Create(cfg);
        var loader = new BatchLoader(task.TrainSet, new TrainTransform(cfg.Data.TrainPipeline, cfg.Data),
            cfg.Data.BatchSize, t.Seed, cfg.Data.NumWorkers, cfg.Data.Prefetch) { Part = dist?.BatchPart(cfg.Data.BatchSize), Targets = task.Targets };

        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        if (ModelFactory.LoadPretrained(model, cfg.Model) is { } report)
            Log.Information("Pretrained backbone {Path}: {Report}", cfg.Model.Backbone.Pretrained, report.Summary());
        model.to(device);
        using var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);
        var schedule = new LrSchedule(cfg.Schedule, cfg.Optimizer.Lr);

        var best = BestMetric.FromConfig(t, task.Validation);
        var stopper = EarlyStopping.FromConfig(t, best.Name);
        var checkpoints = new RunCheckpoints(workDir, cfg, options.ConfigYaml, best.FileName, best.GreaterIsBetter)
            { States = stopper is null ? [] : [stopper] };
        if (cfg.LoadFrom is not null && options.Resume is { } explicitResume && explicitResume != "auto")
            throw new SegmenterException($"both load_from ({cfg.LoadFrom}) and --resume {explicitResume} are given", "load_from",
                "--resume continues a run (weights, optimizer, schedule, iteration); load_from starts a new run at iteration 0 from a " +
                "trained model's weights with a fresh optimizer and schedule: drop one of them");
        long start = checkpoints.Resume(options.Resume, model, optimizer);
        // A new run (nothing resumed) starts from load_from's weights; a resumed one already holds them, trained further.
        if (start == 0 && cfg.LoadFrom is { } initial)
            InitialWeights.Apply(model, initial, cfg.ReviseKeys, root ? workDir : null);
        // Several replicas or mixed precision: the data-parallel step (the model above is its master); else the plain step below.
        using var parallel = ParallelStep.CreateIfNeeded(cfg, model, optimizer, devices);
        dist?.Prepare(model, start);

        long maxIters = cfg.Schedule.MaxIters;
        long stopAt = Math.Min(maxIters, options.StopAt ?? maxIters);
        Log.Information("Training {Model} for iterations {Start}..{Stop} of {Max} on {Images} images on {Device}; work dir {WorkDir}",
            DescribeModel(cfg.Model), start, stopAt, maxIters, task.TrainSet.Count, device.type == DeviceType.CPU ? "cpu" : device.ToString(), workDir);

        var progress = !root ? null : new TrainProgress(workDir, start, stopAt, t.LogInterval)
            { Board = TrainBoard.Create(cfg, workDir, options.ConfigYaml, start, task.Validation.ClassNames) };
        ValidationOutcome? lastEval = null;
        string? lastCheckpoint = null;
        double firstLoss = double.NaN, lastLoss = double.NaN;
        bool earlyStopped = false;
        var clock = new CheckpointClock(t.CheckpointEveryMinutes);
        model.train();

        long it = start;
        using (var batches = loader.Iterate(start).GetEnumerator())
        {
            while (it < stopAt)
            {
                var dataWatch = Stopwatch.StartNew();
                batches.MoveNext();
                var batch = batches.Current;
                double dataTime = dataWatch.Elapsed.TotalSeconds;

                var stepWatch = Stopwatch.StartNew();
                double lr = schedule.LearningRate(it);
                optimizer.SetLearningRates(mult => schedule.LearningRate(it, schedule.BaseLr * mult));
                var lossValues = dist is not null ? dist.Step(model, optimizer, batch, device, options.Cancel.IsCancellationRequested)
                    : parallel is not null
                    ? parallel.Step(batch).Losses
                    : Step(model, optimizer, batch, device, cfg.Optimizer.GradClip);
                it++;
                double loss = lossValues["loss"];
                if (double.IsNaN(firstLoss)) firstLoss = loss;
                lastLoss = loss;
                if (!double.IsFinite(loss))
                    throw new SegmenterException($"loss became {loss} at iteration {it}", cfg.Train.WorkDir,
                        "lower optimizer.lr, enable optimizer.grad_clip, or check the labels with `segment data check`");
                progress?.Step(it, lr, lossValues, dataTime, stepWatch.Elapsed.TotalSeconds + dataTime);

                bool last = it == stopAt;
                if (RunCheckpoints.IsDue(t.ValInterval, it) || it == maxIters)
                {
                    // Several processes: validation is sharded over the ranks and its statistics (areas, PQ totals, loss sums)
                    // summed, so the metrics are the same on every rank and early stopping decides alike everywhere; panels
                    // come from rank 0's share.
                    lastEval = task.Validation.Evaluate(model, device, new EvaluationOptions
                    {
                        Shard = dist?.EvaluationShard ?? EvaluationShard.Whole, CollectExtras = true, MaxPanels = root && t.Tensorboard ? 4 : 0,
                    });
                    model.train();
                    progress?.Evaluation(it, lastEval);
                    var metrics = lastEval.Metrics;
                    if (root) checkpoints.OfferBest(it, ValidationMetrics.Get(metrics, best.Name, "train.save_best"), model, optimizer);
                    if (stopper?.Update(metrics) == true)
                    {
                        Log.Warning(stopper.Reason(it));
                        earlyStopped = true;
                    }
                }
                bool interrupted = dist?.StopRequested ?? options.Cancel.IsCancellationRequested;
                if (root && (RunCheckpoints.IsDue(t.CheckpointInterval, it) || clock.IsDue || last || interrupted || earlyStopped))
                {
                    lastCheckpoint = checkpoints.Save(it, model, optimizer);
                    clock.Saved();
                }
                if (earlyStopped) break;
                if (interrupted)
                {
                    Log.Warning("Interrupted at iteration {Iteration}; resume with --resume auto", it);
                    break;
                }
            }
        }
        progress?.Finish();
        if (root && lastEval?.Panoptic is { } pan)
            Log.Information("Last validation:\n{Table}", pan.Panoptic.FormatTable());
        dist?.Complete(model);
        return new TrainResult(it, lastCheckpoint, lastEval, firstLoss, lastLoss);
    }

    /// <summary>One single-device training step; returns the loss terms and their sum ("loss").</summary>
    private static Dictionary<string, double> Step(Segmentor model, IOptimizer optimizer, Batch batch, Device device, double? gradClip) =>
        TrainStep.Run(model, optimizer, gradClip, () => model.ComputeLosses(batch.ToTraining(device)));

    private static string DescribeModel(ModelConfig m)
    {
        if (ModelFactory.TaskOf(m) == SegmentationTask.Panoptic)
            return $"{m.Type} / {(m.Backbone.Type == "axial_resnet" ? $"Axial-ResNet-{m.Backbone.Depth}{m.Backbone.Axial.Width.ToUpperInvariant()}" : $"ResNet-{m.Backbone.Depth}")}, {m.NumClasses} classes";
        var attention = m.Backbone.Attention.Type == "none" ? "" : $"+{m.Backbone.Attention.Type.ToUpperInvariant()}-{m.Backbone.Attention.Layout}";
        return $"{m.DecodeHead.Type} / ResNet-{m.Backbone.Depth}{attention} OS{m.Backbone.OutputStride}, {m.NumClasses} classes";
    }

    /// <summary>Creates the work dir and proves it writable, or raises a one-line error naming it.</summary>
    public static void EnsureWritable(string workDir)
    {
        try
        {
            Directory.CreateDirectory(workDir);
            var probe = Path.Combine(workDir, $".write_probe_{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegmenterException($"work dir is not writable ({e.Message})", workDir, "pass a writable --work-dir");
        }
    }
}
