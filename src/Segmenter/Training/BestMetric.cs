using Segmenter.Config;
using Segmenter.Evaluation;

namespace Segmenter.Training;

/// <summary>train.save_best / save_best_rule resolved: the metric name ("auto" = the task's headline metric) and its direction.</summary>
public sealed record BestMetric(string Name, bool GreaterIsBetter)
{
    public static BestMetric FromConfig(TrainConfig t, string headline, bool panoptic, IReadOnlyList<string> classNames)
    {
        string name = t.SaveBest == "auto" ? headline : t.SaveBest;
        ValidationMetrics.Check(name, panoptic, classNames, "train.save_best");
        if (t.EarlyStop is { Metric: not "auto" } es) ValidationMetrics.Check(es.Metric, panoptic, classNames, "train.early_stop.metric");
        return new BestMetric(name, ValidationMetrics.GreaterIsBetter(name, t.SaveBestRule));
    }

    /// <summary>As above for the task's evaluator (its headline metric and metric names).</summary>
    public static BestMetric FromConfig(TrainConfig t, IValidationEvaluator validation)
    {
        string name = t.SaveBest == "auto" ? validation.Headline : t.SaveBest;
        validation.CheckMetric(name, "train.save_best");
        if (t.EarlyStop is { Metric: not "auto" } es) validation.CheckMetric(es.Metric, "train.early_stop.metric");
        return new BestMetric(name, ValidationMetrics.GreaterIsBetter(name, t.SaveBestRule));
    }

    /// <summary>The name as it appears in best_{name}.ckpt: characters a file name cannot hold become '_'.</summary>
    public string FileName => string.Concat(Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));
}
