namespace Segmenter.Evaluation;

/// <summary>
/// A validation pass as named numbers, the names `train.save_best` and `train.early_stop.metric` take:
/// semantic mIoU, mAcc, aAcc, mDice, mFscore, mPrecision, mRecall, IoU.&lt;class&gt; and Acc.&lt;class&gt; (class name or index),
/// val_loss; panoptic PQ, SQ, RQ, PQ_th, SQ_th, RQ_th, PQ_st, SQ_st, RQ_st and the semantic branch's mIoU.
/// Metrics are fractions (as <see cref="SemanticResult"/>); val_loss is the mean cross-entropy.
/// </summary>
public static class ValidationMetrics
{
    public const string ValLoss = "val_loss";

    public static Dictionary<string, double> Of(SemanticResult r, IReadOnlyList<string> classNames, double valLoss = double.NaN, bool collectedLoss = false)
    {
        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["mIoU"] = r.MIoU, ["mAcc"] = r.MAcc, ["aAcc"] = r.AAcc, ["mDice"] = r.MDice, ["mFscore"] = r.MFscore,
            ["mPrecision"] = r.MPrecision, ["mRecall"] = r.MRecall,
        };
        for (int c = 0; c < r.NumClasses; c++)
        {
            string name = c < classNames.Count ? classNames[c] : $"class_{c}";
            m[$"IoU.{name}"] = m[$"IoU.{c}"] = r.IoU[c];
            m[$"Acc.{name}"] = m[$"Acc.{c}"] = r.Acc[c];
        }
        if (collectedLoss || !double.IsNaN(valLoss)) m[ValLoss] = valLoss;
        return m;
    }

    public static Dictionary<string, double> Of(PanopticEvalResult r, double valLoss = double.NaN, bool collectedLoss = false)
    {
        var (all, th, st) = (r.Panoptic.All, r.Panoptic.Things, r.Panoptic.Stuff);
        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["PQ"] = all.Pq, ["SQ"] = all.Sq, ["RQ"] = all.Rq,
            ["PQ_th"] = th.Pq, ["SQ_th"] = th.Sq, ["RQ_th"] = th.Rq,
            ["PQ_st"] = st.Pq, ["SQ_st"] = st.Sq, ["RQ_st"] = st.Rq,
            ["mIoU"] = r.Semantic.MIoU, ["mAcc"] = r.Semantic.MAcc, ["aAcc"] = r.Semantic.AAcc,
        };
        if (collectedLoss || !double.IsNaN(valLoss)) m[ValLoss] = valLoss;
        return m;
    }

    /// <summary>
    /// Whether larger is better for <paramref name="metric"/> under <paramref name="rule"/>: "greater" / "less" as
    /// MMSegmentation's CheckpointHook rule; "auto" = less for losses (names containing "loss"), greater otherwise.
    /// </summary>
    public static bool GreaterIsBetter(string metric, string rule) => rule switch
    {
        "greater" => true,
        "less" => false,
        _ => !metric.Contains("loss", StringComparison.OrdinalIgnoreCase),
    };

    private static readonly string[] SemanticNames = ["mIoU", "mAcc", "aAcc", "mDice", "mFscore", "mPrecision", "mRecall", ValLoss];
    private static readonly string[] PanopticNames = ["PQ", "SQ", "RQ", "PQ_th", "SQ_th", "RQ_th", "PQ_st", "SQ_st", "RQ_st", "mIoU", "mAcc", "aAcc", ValLoss];

    /// <summary>Checks before training that <paramref name="metric"/> will exist at validation, else a one-line error naming <paramref name="key"/>.</summary>
    public static void Check(string metric, bool panoptic, IReadOnlyList<string> classNames, string key)
    {
        var names = panoptic ? PanopticNames : SemanticNames;
        if (names.Contains(metric)) return;
        if (!panoptic && (metric.StartsWith("IoU.", StringComparison.Ordinal) || metric.StartsWith("Acc.", StringComparison.Ordinal)))
        {
            string cls = metric[(metric.IndexOf('.') + 1)..];
            if (classNames.Contains(cls) || (int.TryParse(cls, out int c) && c >= 0 && c < classNames.Count)) return;
            throw new SegmenterException($"{key} '{metric}' names no class", key, $"use a class name or index: {string.Join(", ", classNames.Take(30))}");
        }
        throw new SegmenterException($"{key} '{metric}' is not a validation metric", key,
            $"use one of {string.Join(", ", names)}" + (panoptic ? "" : ", IoU.<class> or Acc.<class>"));
    }

    /// <summary>The value of <paramref name="metric"/>, or a one-line error naming the config key and the names available.</summary>
    public static double Get(IReadOnlyDictionary<string, double> metrics, string metric, string key)
    {
        if (metrics.TryGetValue(metric, out var v)) return v;
        var names = metrics.Keys.Where(k => !k.StartsWith("IoU.", StringComparison.Ordinal) && !k.StartsWith("Acc.", StringComparison.Ordinal));
        throw new SegmenterException($"validation has no metric '{metric}'", key,
            $"use one of {string.Join(", ", names)}, IoU.<class> or Acc.<class>");
    }
}
