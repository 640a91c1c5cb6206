using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models.Segmentors;
using Serilog;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Validation of a semantic model: mmseg's metrics (mIoU headline) over the validation set; on one process optionally
/// the validation loss and image | ground truth | prediction panels (<see cref="ValidationCollector"/>), the confusion
/// matrix and error-map panels; over several processes each rank evaluates its share and the areas (and loss sums) are
/// summed, equal to a single-process evaluation.
/// </summary>
public sealed class SemanticValidation(ExperimentConfig cfg, ISegmentationDataset valSet, IReadOnlyList<string> classNames) : IValidationEvaluator
{
    public string Headline => "mIoU";
    public IReadOnlyList<string> ClassNames => classNames;
    public int Count => valSet.Count;

    public void CheckMetric(string metric, string key) => ValidationMetrics.Check(metric, panoptic: false, classNames, key);

    public ValidationOutcome Evaluate(Segmentor model, Device device, EvaluationOptions options)
    {
        if (options.PredictionDir is not null)
            throw new SegmenterException("--pred-dir writes COCO panoptic predictions, for panoptic models", "--pred-dir",
                "drop it (use `segment predict` for semantic predictions)");
        // Several processes: each rank evaluates its share (images r, r + N, ...); areas and loss sums are summed below.
        var shard = options.Shard;
        var images = shard.WorldSize > 1 ? new ShardedDataset(valSet, shard.Rank, shard.WorldSize) : valSet;
        if (shard.WorldSize > 1 && (options.ConfusionDir is not null || options.ShowDir is not null))
            throw new SegmenterException("--confusion and --show-dir run in one process", "segment eval", "run segment eval without the launcher");
        var palette = Palettes.For(cfg.Data, cfg.Model.NumClasses);
        var extras = options.CollectExtras
            ? new ValidationCollector(images, cfg.Model.NumClasses, cfg.Data.IgnoreIndex, SegmentationInference.UsesTta(cfg.Test), palette, options.MaxPanels)
            : null;
        var matrix = options.ConfusionDir is null ? null : new ConfusionMatrix(cfg.Model.NumClasses, cfg.Data.IgnoreIndex);
        if (options.Worst is < 1) throw new SegmenterException("--worst must be >= 1", "--worst", "pass the number of worst images to keep");
        var show = options.ShowDir is { } dir ? new Visualization.ShowDirWriter(dir, valSet, cfg.Model.NumClasses, cfg.Data.IgnoreIndex, palette, options.Worst) : null;
        Action<int, TransformedSample, Tensor, byte[]>? onImage = extras is null && matrix is null && show is null ? null : (i, item, scores, pred) =>
        {
            extras?.OnImage(i, item, scores, pred);
            matrix?.Update(pred, item.Label);
            show?.OnImage(i, item, pred);
        };
        var result = SegmentationEvaluator.Evaluate(model, cfg, images, device, onImage: onImage).SumOver(shard);
        if (shard.WorldSize > 1) extras?.Reduce(shard);
        if (matrix is not null)
        {
            var (json, png) = Visualization.ConfusionOutput.Write(options.ConfusionDir!, matrix, classNames);
            Log.Information("Wrote {Json} and {Png}", json, png);
        }
        if (show is not null) Log.Information("Wrote {Count} panels and images.csv to {Dir}", show.Finish(), Path.GetFullPath(options.ShowDir!));
        return new ValidationOutcome(ValidationMetrics.Of(result, classNames, extras?.Loss ?? double.NaN, extras is not null), result, extras);
    }
}
