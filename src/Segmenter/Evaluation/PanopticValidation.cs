using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Validation of a panoptic model: PQ/SQ/RQ (PQ headline; all, things, stuff) as panopticapi computes them, and the
/// semantic branch's mIoU; over several processes each rank evaluates its share and the PQ totals and areas are summed.
/// </summary>
public sealed class PanopticValidation(ExperimentConfig cfg, PanopticDataset valSet) : IValidationEvaluator
{
    public string Headline => "PQ";
    public IReadOnlyList<string> ClassNames { get; } = valSet.Classes.Categories.Select(c => c.Name).ToList();

    public void CheckMetric(string metric, string key) => ValidationMetrics.Check(metric, panoptic: true, ClassNames, key);

    public int Count => valSet.Count;

    public ValidationOutcome Evaluate(Segmentor model, Device device, EvaluationOptions options)
    {
        if (options.ConfusionDir is not null || options.ShowDir is not null)
            throw new SegmenterException("--confusion and --show-dir are for semantic models", options.ConfusionDir is not null ? "--confusion" : "--show-dir",
                $"drop them for model.type {cfg.Model.Type} (use --pred-dir for its predictions)");
        var panoptic = model as PanopticDeepLab
            ?? throw new ArgumentException($"panoptic validation needs a panoptic model, got {model.GetType().Name}", nameof(model));
        var extras = options.CollectExtras
            ? new PanopticValidationCollector(panoptic, valSet, PanopticInference.TargetOptions(cfg.Model.Panoptic, cfg.Data.IgnoreIndex),
                Palettes.For(cfg.Data, valSet.Classes.NumClasses), options.MaxPanels)
            : null;
        var result = PanopticInference.Evaluate(panoptic, cfg, valSet, device, predictionDir: options.PredictionDir, shard: options.Shard, observer: extras);
        if (options.Shard.WorldSize > 1) extras?.Reduce(options.Shard);
        if (extras is not null && !double.IsFinite(extras.Loss))
            Serilog.Log.Warning("Validation loss is {Loss}: some image's outputs are not finite", extras.Loss);
        return new ValidationOutcome(ValidationMetrics.Of(result, extras?.Loss ?? double.NaN, extras is not null), result, extras);
    }
}
