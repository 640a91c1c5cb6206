using System.Diagnostics;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;
using Segmenter.Checkpoints;

namespace Segmenter.Training;

/// <summary>What a panoptic run produced: the iteration reached, the last iter_*.ckpt, the last validation, loss at the first and last step.</summary>
public sealed record PanopticTrainResult(long Iteration, string? LastCheckpoint, PanopticEvalResult? LastEval, double FirstLoss, double LastLoss);

/// <summary>
/// The training loop for model.type panoptic_deeplab (Panoptic-DeepLab / Axial-DeepLab), the same loop as
/// <see cref="Trainer"/>: build everything from the config, optionally resume, then per iteration batch → targets →
/// losses → backward → (clip) → step, with logging, validation (PQ/SQ/RQ + mIoU, best_PQ.ckpt) and iter_*.ckpt at their
/// intervals. The semantic BatchLoader/TrainTransform carry segment positions (<see cref="PanopticSegmentIndexView"/>)
/// and targets are made per sample after augmentation, so the batch of iteration i is a function of the seed and i
/// and a resumed run equals an uninterrupted one.
/// </summary>
public static class PanopticTrainer
{
    public static PanopticTrainResult Run(ExperimentConfig cfg, TrainOptions options)
    {
        var t = cfg.Train;
        if (t.Replicas > 1 || t.Amp != "none")
            throw new SegmenterException($"train.replicas {t.Replicas} / train.amp {t.Amp}: panoptic training runs on one device in fp32 only",
                t.Replicas > 1 ? "train.replicas" : "train.amp", "use train.replicas=1 train.amp=none (one device) for model.type panoptic_deeplab");
        if (t.DistBackend != "inprocess" && Distributed.DistributedEnvironment.Detect().IsDistributed)
            throw new SegmenterException("panoptic training under mpirun/srun is not supported yet (its hard-pixel-mined loss needs a cross-rank top-k)",
                "train.dist_backend", "train model.type panoptic_deeplab as one process (without the launcher)");
        var workDir = Path.GetFullPath(t.WorkDir);
        Trainer.EnsureWritable(workDir);
        if (t.Threads > 0) torch.set_num_threads(t.Threads);
        var device = DeviceSelector.Parse(t.Device);
        torch.manual_seed(t.Seed);

        // Data first: a missing dataset should fail before any model is built.
        var trainSet = CreateDataset(cfg, train: true);
        var valSet = CreateDataset(cfg, train: false);
        if (trainSet.Classes.NumClasses != cfg.Model.NumClasses)
            throw new SegmenterException($"the dataset has {trainSet.Classes.NumClasses} categories but model.num_classes is {cfg.Model.NumClasses}",
                "model.num_classes", $"set it to {trainSet.Classes.NumClasses}");
        var view = new PanopticSegmentIndexView(trainSet);
        var loader = new BatchLoader(view, new TrainTransform(cfg.Data.TrainPipeline, cfg.Data), cfg.Data.BatchSize, t.Seed, cfg.Data.NumWorkers, cfg.Data.Prefetch);
        var targetOptions = PanopticInference.TargetOptions(cfg.Model.Panoptic, cfg.Data.IgnoreIndex);

        using var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg));
        if (cfg.Model.Backbone.Pretrained is { Length: > 0 } path)
            Log.Information("Pretrained backbone {Path}: {Report}", path, PretrainedLoader.LoadBackbone(model.Backbone, path).Summary());
        model.to(device);
        using var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);
        var schedule = new LrSchedule(cfg.Schedule, cfg.Optimizer.Lr);

        var classNames = trainSet.Classes.Categories.Select(c => c.Name).ToList();
        var best = BestMetric.FromConfig(t, "PQ", panoptic: true, classNames);
        var checkpoints = new RunCheckpoints(workDir, cfg, options.ConfigYaml, best.FileName, best.GreaterIsBetter);
        var stopper = EarlyStopping.FromConfig(t, best.Name);
        long start = checkpoints.Resume(options.Resume, model, optimizer);
        long maxIters = cfg.Schedule.MaxIters;
        long stopAt = Math.Min(maxIters, options.StopAt ?? maxIters);
        Log.Information("Training panoptic_deeplab ({Backbone}) for iterations {Start}..{Stop} of {Max} on {N} images; work dir {WorkDir}",
            cfg.Model.Backbone.Type, start, stopAt, maxIters, trainSet.Count, workDir);

        var progress = new TrainProgress(workDir, start, stopAt, t.LogInterval) { Board = TrainBoard.Create(cfg, workDir, options.ConfigYaml, start, classNames) };
        PanopticEvalResult? lastEval = null;
        string? lastCheckpoint = null;
        double firstLoss = double.NaN, lastLoss = double.NaN;
        bool earlyStopped = false;
        model.train();

        long it = start;
        using (var batches = loader.Iterate(start).GetEnumerator())
        {
            while (it < stopAt)
            {
                var dataWatch = Stopwatch.StartNew();
                batches.MoveNext();
                var targets = Targets(batches.Current, view, targetOptions);
                double dataTime = dataWatch.Elapsed.TotalSeconds;

                var stepWatch = Stopwatch.StartNew();
                double lr = schedule.LearningRate(it);
                optimizer.SetLearningRate(lr);
                var lossValues = Step(model, optimizer, batches.Current, targets, device, cfg.Optimizer.GradClip);
                it++;
                double loss = lossValues["loss"];
                if (double.IsNaN(firstLoss)) firstLoss = loss;
                lastLoss = loss;
                if (!double.IsFinite(loss))
                    throw new SegmenterException($"loss became {loss} at iteration {it}", t.WorkDir, "lower optimizer.lr or enable optimizer.grad_clip");
                progress.Step(it, lr, lossValues, dataTime, stepWatch.Elapsed.TotalSeconds + dataTime);

                if (RunCheckpoints.IsDue(t.ValInterval, it) || it == maxIters)
                {
                    lastEval = PanopticInference.Evaluate(model, cfg, valSet, device);
                    model.train();
                    progress.Evaluation(it, lastEval);
                    var metrics = ValidationMetrics.Of(lastEval);
                    checkpoints.OfferBest(it, ValidationMetrics.Get(metrics, best.Name, "train.save_best"), model, optimizer);
                    if (stopper?.Update(metrics) == true)
                    {
                        Log.Warning(stopper.Reason(it));
                        earlyStopped = true;
                    }
                }
                bool interrupted = options.Cancel.IsCancellationRequested;
                if (RunCheckpoints.IsDue(t.CheckpointInterval, it) || it == stopAt || interrupted || earlyStopped)
                    lastCheckpoint = checkpoints.Save(it, model, optimizer);
                if (earlyStopped) break;
                if (interrupted)
                {
                    Log.Warning("Interrupted at iteration {Iteration}; resume with --resume auto", it);
                    break;
                }
            }
        }
        progress.Finish();
        if (lastEval is not null)
            Log.Information("Last validation:\n{Table}", lastEval.Panoptic.FormatTable());
        return new PanopticTrainResult(it, lastCheckpoint, lastEval, firstLoss, lastLoss);
    }

    /// <summary>Panoptic-DeepLab targets of every sample of the batch, from its transformed segment-position label.</summary>
    private static List<PanopticTargets> Targets(Batch batch, PanopticSegmentIndexView view, PanopticTargetOptions options)
    {
        int hw = batch.Height * batch.Width;
        var targets = new List<PanopticTargets>(batch.N);
        for (int b = 0; b < batch.N; b++)
            targets.Add(PanopticTargets.Generate(view.Decode(batch.Ids[b], batch.Labels.AsSpan(b * hw, hw), batch.Width, batch.Height), options));
        return targets;
    }

    /// <summary>One training step; returns the loss terms and their sum ("loss").</summary>
    private static Dictionary<string, double> Step(PanopticDeepLab model, IOptimizer optimizer, Batch batch, List<PanopticTargets> targets,
        Device device, double? gradClip)
    {
        using var tb = PanopticTargetBatch.Stack(targets, device);
        return TrainStep.Run(model, optimizer, gradClip,
            () => model.ComputeLosses(tensor(batch.Images, [batch.N, 3, batch.Height, batch.Width]).to(device), tb));
    }

    /// <summary>
    /// Builds the config's panoptic model on the configured device and fills it from a checkpoint written by training
    /// (iter_*.ckpt, best_PQ.ckpt) or from plain safetensors weights (`segment export`); strict: every tensor, same shapes.
    /// </summary>
    public static (PanopticDeepLab Model, Device Device) LoadModel(ExperimentConfig cfg, string checkpointPath) =>
        Inference.ModelLoader.LoadPanoptic(cfg, checkpointPath);

    /// <summary>The configured split as a <see cref="PanopticDataset"/> (data.type coco_panoptic or cityscapes_panoptic).</summary>
    public static PanopticDataset CreateDataset(ExperimentConfig cfg, bool train) =>
        DatasetFactory.Create(cfg.Data, train) as PanopticDataset
            ?? throw new SegmenterException($"data.type '{cfg.Data.Type}' has no panoptic ground truth", "data.type",
                "use coco_panoptic or cityscapes_panoptic for model.type panoptic_deeplab");
}
