using Segmenter.Config;
using Segmenter.Evaluation;

namespace Segmenter.Training;

/// <summary>
/// train.early_stop: ends a run once the watched metric has not improved by more than min_delta for `patience`
/// validations in a row, as MMEngine's EarlyStoppingHook (rule greater/less, min_delta, patience counted in
/// validations) and Keras' EarlyStopping. Non-finite values (a NaN class IoU) count as no improvement.
/// The counter is not stored in checkpoints: a resumed run counts from its first validation again.
/// </summary>
public sealed class EarlyStopping(string metric, int patience, double minDelta, bool greaterIsBetter) : Checkpoints.ICheckpointedState
{
    private double _best = double.NaN;

    public string Metric { get; } = metric;
    public int Patience { get; } = patience;
    /// <summary>Validations since the last improvement.</summary>
    public int Stale { get; private set; }
    public double Best => _best;

    /// <summary>The configured stopper, or null when train.early_stop is not set; <paramref name="defaultMetric"/> replaces "auto".</summary>
    public static EarlyStopping? FromConfig(TrainConfig t, string defaultMetric)
    {
        if (t.EarlyStop is not { } es) return null;
        string metric = es.Metric == "auto" ? defaultMetric : es.Metric;
        return new EarlyStopping(metric, es.Patience, es.MinDelta, ValidationMetrics.GreaterIsBetter(metric, es.Rule));
    }

    /// <summary>Records one validation; true when the run should stop now.</summary>
    public bool Update(IReadOnlyDictionary<string, double> metrics)
    {
        double v = ValidationMetrics.Get(metrics, Metric, "train.early_stop.metric");
        bool improved = double.IsFinite(v) && (double.IsNaN(_best)
            || (greaterIsBetter ? v > _best + minDelta : v < _best - minDelta));
        if (improved) { _best = v; Stale = 0; }
        else Stale++;
        return Stale >= Patience;
    }

    /// <summary>Saves the best value and the stale count, so a resumed run keeps counting where it stopped.</summary>
    public void Write(IDictionary<string, double?> extra)
    {
        extra["early_stop_best"] = double.IsFinite(_best) ? _best : null;
        extra["early_stop_stale"] = Stale;
    }

    public void Read(System.Text.Json.JsonElement extra)
    {
        if (extra.TryGetProperty("early_stop_best", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.Number) _best = b.GetDouble();
        if (extra.TryGetProperty("early_stop_stale", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.Number) Stale = s.GetInt32();
    }

    /// <summary>The log line that says why the run ended.</summary>
    public string Reason(long iteration) =>
        $"Early stop at iteration {iteration}: {Metric} has not improved for {Stale} validations (best {_best:G6}, patience {Patience})";
}
