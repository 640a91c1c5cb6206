using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// A share of the validation set for one of several processes: rank r evaluates images r, r + N, ... and the
/// statistics are summed over the ranks with <see cref="Sum"/> (in place, the same length on every rank), so every
/// rank ends with the numbers of a single-process evaluation. <see cref="Whole"/> = one process, everything.
/// </summary>
public sealed record EvaluationShard(int Rank, int WorldSize, Action<double[], string> Sum)
{
    public static EvaluationShard Whole { get; } = new(0, 1, (_, _) => { });
}

/// <summary>What an evaluation pass does besides computing the metrics; each evaluator refuses the outputs its task has not.</summary>
public sealed record EvaluationOptions
{
    /// <summary>This process's share of the images (several processes), or all of them.</summary>
    public EvaluationShard Shard { get; init; } = EvaluationShard.Whole;
    /// <summary>Training: also the validation loss and up to <see cref="MaxPanels"/> image | ground truth | prediction panels (one process only).</summary>
    public bool CollectExtras { get; init; }
    public int MaxPanels { get; init; }
    /// <summary>`eval --confusion`: write the confusion matrix (JSON + heat map) here (semantic).</summary>
    public string? ConfusionDir { get; init; }
    /// <summary>`eval --show-dir [--worst N]`: write error-map panels here (semantic).</summary>
    public string? ShowDir { get; init; }
    public int? Worst { get; init; }
    /// <summary>`eval --pred-dir`: write COCO panoptic predictions here (panoptic).</summary>
    public string? PredictionDir { get; init; }
}

/// <summary>One validation pass: the named metrics (<see cref="ValidationMetrics"/>), the full result, and the per-image extras when collected.</summary>
public sealed record ValidationOutcome(Dictionary<string, double> Metrics, object Result, IValidationExtras? Extras = null)
{
    /// <summary>The semantic result: the model's, or the semantic branch's of a panoptic model.</summary>
    public SemanticResult Semantic => Result as SemanticResult ?? ((PanopticEvalResult)Result).Semantic;
    /// <summary>The panoptic result (PQ/SQ/RQ + the semantic branch), or null for a semantic model.</summary>
    public PanopticEvalResult? Panoptic => Result as PanopticEvalResult;
    public double this[string metric] => Metrics[metric];

    /// <summary>The result as the table `segment eval` prints.</summary>
    public string FormatTable(IReadOnlyList<string> classNames) => Panoptic is { } p
        ? $"{p.Panoptic.FormatTable()}\nmIoU (semantic branch): {100 * p.Semantic.MIoU:F2}"
        : Semantic.FormatTable(classNames);

    /// <summary>The result as the JSON `segment eval --out` writes.</summary>
    public string ToJson() => Panoptic is { } p ? p.Panoptic.ToJson() : Semantic.ToJson();

    /// <summary>One line of the headline numbers, for logs.</summary>
    public string Summary() => Panoptic is { } p
        ? $"PQ {100 * p.Panoptic.All.Pq:F2} SQ {100 * p.Panoptic.All.Sq:F2} RQ {100 * p.Panoptic.All.Rq:F2}, mIoU {100 * p.Semantic.MIoU:F2}"
        : $"mIoU {100 * Semantic.MIoU:F2}";
}

/// <summary>
/// What the training loop evaluates with, whatever the task: <see cref="SemanticValidation"/> (mIoU and the other
/// mmseg metrics) or <see cref="PanopticValidation"/> (PQ/SQ/RQ and the semantic branch's mIoU).
/// </summary>
public interface IValidationEvaluator
{
    /// <summary>The task's headline metric: what best_&lt;metric&gt;.ckpt follows when train.save_best is auto.</summary>
    string Headline { get; }

    /// <summary>Class names, for per-class metric names (IoU.&lt;class&gt;).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Throws a one-line error when <paramref name="metric"/> is not a metric of this task (<paramref name="key"/> names the config key).</summary>
    void CheckMetric(string metric, string key);

    /// <summary>Number of validation images.</summary>
    int Count { get; }

    /// <summary>Evaluates <paramref name="model"/> on the validation set (its share of it), with the outputs <paramref name="options"/> ask for.</summary>
    ValidationOutcome Evaluate(Segmentor model, Device device, EvaluationOptions options);
}

/// <summary>The validation evaluator of a config's task (its validation split loaded, so a missing dataset fails before any model is built).</summary>
public static class ValidationEvaluators
{
    public static IValidationEvaluator Create(ExperimentConfig cfg) => ModelFactory.TaskOf(cfg.Model) == SegmentationTask.Panoptic
        ? new PanopticValidation(cfg, DatasetFactory.CreatePanoptic(cfg, train: false))
        : new SemanticValidation(cfg, DatasetFactory.Create(cfg.Data, train: false, numClasses: cfg.Model.NumClasses), ClassNames.For(cfg));
}
