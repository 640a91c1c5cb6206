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

namespace Segmenter.Training;

/// <summary>What a panoptic run produced: loss at the first and last step, the final metrics and the weights file.</summary>
public sealed record PanopticTrainResult(long Iterations, double FirstLoss, double LastLoss, PanopticEvalResult? Eval, string WeightsPath);

/// <summary>
/// A minimal training loop for model.type panoptic_deeplab (Panoptic-DeepLab / Axial-DeepLab): the semantic
/// BatchLoader/TrainTransform carry segment positions (<see cref="PanopticSegmentIndexView"/>), targets are made per
/// sample after augmentation, then loss → backward → (clip) → step with the configured optimizer and poly/warm-up
/// schedule. At the end it writes work_dir/panoptic_final.safetensors (model state dict) and, when val_interval is 0
/// or divides max_iters, evaluates PQ and mIoU on the val split. No resume and no intermediate checkpoints yet.
/// </summary>
public static class PanopticTrainer
{
    public static PanopticTrainResult Run(ExperimentConfig cfg, long? stopAt = null, bool evaluate = true)
    {
        var t = cfg.Train;
        var workDir = Path.GetFullPath(t.WorkDir);
        Directory.CreateDirectory(workDir);
        if (t.Threads > 0) torch.set_num_threads(t.Threads);
        var device = DeviceSelector.Parse(t.Device);
        torch.manual_seed(t.Seed);

        var trainSet = CreateDataset(cfg, train: true);
        var valSet = evaluate ? CreateDataset(cfg, train: false) : null;
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
        long end = Math.Min(cfg.Schedule.MaxIters, stopAt ?? cfg.Schedule.MaxIters);
        Log.Information("Training panoptic_deeplab ({Backbone}) for {Iters} iterations on {N} images; work dir {WorkDir}",
            cfg.Model.Backbone.Type, end, trainSet.Count, workDir);

        var progress = new TrainProgress(workDir, 0, end, t.LogInterval);
        double firstLoss = double.NaN, lastLoss = double.NaN;
        model.train();
        long it = 0;
        foreach (var batch in loader.Iterate(0))
        {
            if (it >= end) break;
            var dataWatch = Stopwatch.StartNew();
            int hw = batch.Height * batch.Width;
            var targets = new List<PanopticTargets>(batch.N);
            for (int b = 0; b < batch.N; b++)
            {
                var gt = view.Decode(batch.Ids[b], batch.Labels.AsSpan(b * hw, hw), batch.Width, batch.Height);
                targets.Add(PanopticTargets.Generate(gt, targetOptions));
            }
            double dataTime = dataWatch.Elapsed.TotalSeconds;
            var stepWatch = Stopwatch.StartNew();
            double lr = schedule.LearningRate(it);
            optimizer.SetLearningRate(lr);
            Dictionary<string, double> values;
            using (NewDisposeScope())
            {
                using var tb = PanopticTargetBatch.Stack(targets, device);
                var images = tensor(batch.Images, [batch.N, 3, batch.Height, batch.Width]).to(device);
                var losses = model.ComputeLosses(images, tb);
                var total = losses.Values.Aggregate((a, b) => a + b);
                optimizer.ZeroGrad();
                total.backward();
                if (cfg.Optimizer.GradClip is { } maxNorm) GradClipper.ClipGlobalNorm(model.parameters(), maxNorm);
                optimizer.Step();
                values = losses.ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>());
                values["loss"] = total.item<float>();
            }
            it++;
            double loss = values["loss"];
            if (double.IsNaN(firstLoss)) firstLoss = loss;
            lastLoss = loss;
            if (!double.IsFinite(loss))
                throw new SegmenterException($"loss became {loss} at iteration {it}", t.WorkDir, "lower optimizer.lr or enable optimizer.grad_clip");
            progress.Step(it, lr, values, dataTime, stepWatch.Elapsed.TotalSeconds + dataTime);
        }
        progress.Finish();

        var weights = Path.Combine(workDir, "panoptic_final.safetensors");
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(CPU));
        SafeTensors.Save(weights, state);
        foreach (var v in state.Values) v.Dispose();
        Log.Information("Saved weights to {Path}", weights);

        PanopticEvalResult? eval = null;
        if (valSet is not null)
        {
            eval = PanopticInference.Evaluate(model, cfg, valSet, device);
            Log.Information("Val PQ {PQ:F1} SQ {SQ:F1} RQ {RQ:F1}, mIoU {MIoU:F1}\n{Table}", 100 * eval.Panoptic.All.Pq, 100 * eval.Panoptic.All.Sq,
                100 * eval.Panoptic.All.Rq, 100 * eval.Semantic.MIoU, eval.Panoptic.FormatTable());
        }
        return new PanopticTrainResult(it, firstLoss, lastLoss, eval, weights);
    }

    /// <summary>Builds the config's panoptic model on the configured device and loads weights written by <see cref="Run"/> (strict: every tensor, same shapes).</summary>
    public static (PanopticDeepLab Model, Device Device) LoadModel(ExperimentConfig cfg, string weightsPath)
    {
        var device = DeviceSelector.Parse(cfg.Train.Device);
        var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var contents = SafeTensors.Load(weightsPath);
        var state = model.state_dict();
        var missing = state.Keys.Where(k => !contents.Tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0 || contents.Tensors.Count != state.Count)
            throw new SegmenterException($"weights do not match the configured model ({missing.Count} missing, {contents.Tensors.Count} stored vs {state.Count} expected)",
                weightsPath, "evaluate with the config the weights were trained with");
        using (no_grad())
            foreach (var (k, t) in state)
            {
                var src = contents.Tensors[k];
                if (!src.shape.SequenceEqual(t.shape))
                    throw new SegmenterException($"tensor {k} is [{string.Join(",", src.shape)}] but the model expects [{string.Join(",", t.shape)}]", weightsPath,
                        "evaluate with the config the weights were trained with");
                t.copy_(src);
            }
        foreach (var t in contents.Tensors.Values) t.Dispose();
        model.to(device);
        model.eval();
        return (model, device);
    }

    /// <summary>The configured split as a <see cref="PanopticDataset"/> (data.type coco_panoptic or cityscapes_panoptic).</summary>
    public static PanopticDataset CreateDataset(ExperimentConfig cfg, bool train) =>
        DatasetFactory.Create(cfg.Data, train) as PanopticDataset
            ?? throw new SegmenterException($"data.type '{cfg.Data.Type}' has no panoptic ground truth", "data.type",
                "use coco_panoptic or cityscapes_panoptic for model.type panoptic_deeplab");
}
