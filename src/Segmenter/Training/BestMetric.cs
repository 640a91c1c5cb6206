using Segmenter.Config;
using Segmenter.Evaluation;

namespace Segmenter.Training;

/// <summary>train.save_best / save_best_rule resolved: the metric name ("auto" = the task's headline metric) and its direction.</summary>
public sealed record BestMetric(string Name, bool GreaterIsBetter)
{
    public static BestMetric FromConfig(TrainConfig t, string headline, bool panoptic, IReadOnlyList<string> classNames) =>
        Resolve(t, headline, (metric, key) => ValidationMetrics.Check(metric, panoptic, classNames, key));

    /// <summary>As above for the task's evaluator (its headline metric and metric names).</summary>
    public static BestMetric FromConfig(TrainConfig t, IValidationEvaluator validation) => Resolve(t, validation.Headline, validation.CheckMetric);

    private static BestMetric Resolve(TrainConfig t, string headline, Action<string, string> check)
    {
        string name = t.SaveBest == "auto" ? headline : t.SaveBest;
        check(name, "train.save_best");
        if (t.EarlyStop is { Metric: not "auto" } es) check(es.Metric, "train.early_stop.metric");
        return new BestMetric(name, ValidationMetrics.GreaterIsBetter(name, t.SaveBestRule));
    }

    /// <summary>The name as it appears in best_{name}.ckpt: characters a file name cannot hold become '_'.</summary>
    public string FileName => string.Concat(Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));
}
