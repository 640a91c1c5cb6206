using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Segmenter.Evaluation;
using Serilog;

namespace Segmenter.Training;

/// <summary>
/// Progress of a training run: a log line every N iterations (iteration, losses, lr, time per iteration,
/// data time, ETA, it/s, resident memory) and the same figures as JSON lines in work_dir/metrics.jsonl.
/// Plain log lines (no TTY tricks), so progress shows in CI logs and files too.
/// </summary>
public sealed class TrainProgress
{
    private readonly string _jsonlPath;
    private readonly long _start;
    private readonly long _stop;
    private readonly int _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, double> _lossSums = new();
    private double _timeSum, _dataSum;
    private int _count;
    private long _peakRss;

    public TrainProgress(string workDir, long start, long stop, int interval)
    {
        _jsonlPath = Path.Combine(workDir, "metrics.jsonl");
        _start = start;
        _stop = stop;
        _interval = Math.Max(1, interval);
    }

    public static long RssBytes()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    public long PeakRssBytes => _peakRss;

    /// <summary>TensorBoard log of the run (train.tensorboard), or null.</summary>
    public TrainBoard? Board { get; init; }

    public void Step(long iteration, double lr, IReadOnlyDictionary<string, double> losses, double dataSeconds, double stepSeconds)
    {
        foreach (var (k, v) in losses) _lossSums[k] = _lossSums.GetValueOrDefault(k) + v;
        _timeSum += stepSeconds;
        _dataSum += dataSeconds;
        _count++;
        if (iteration % _interval != 0 && iteration != _stop) return;

        long rss = RssBytes();
        _peakRss = Math.Max(_peakRss, rss);
        double secPerIt = _timeSum / _count, dataPerIt = _dataSum / _count;
        double elapsed = _clock.Elapsed.TotalSeconds;
        double overall = elapsed / Math.Max(1, iteration - _start);
        var eta = TimeSpan.FromSeconds(overall * (_stop - iteration));
        var means = _lossSums.ToDictionary(kv => kv.Key, kv => kv.Value / _count);
        string lossText = string.Join(" ", means.Where(kv => kv.Key != "loss").Select(kv => $"{kv.Key} {kv.Value:F4}"));
        Log.Information("iter {Iter}/{Stop} | loss {Loss:F4} ({Parts}) | lr {Lr:E2} | {Sec:F3} s/it ({ItS:F2} it/s) data {Data:F3} s | eta {Eta} | rss {Rss} MB",
            iteration, _stop, means["loss"], lossText, lr, secPerIt, 1 / secPerIt, dataPerIt, eta.ToString(@"hh\:mm\:ss"), rss >> 20);

        var record = new Dictionary<string, object> { ["iter"] = iteration, ["lr"] = lr, ["time"] = secPerIt, ["data_time"] = dataPerIt, ["rss_mb"] = rss >> 20 };
        foreach (var (k, v) in means) record[k] = v;
        AppendJson(record);
        Board?.Step(iteration, lr, means, secPerIt, dataPerIt, rss);
        _lossSums.Clear();
        _timeSum = _dataSum = 0;
        _count = 0;
    }

    /// <summary>Logs a validation pass of either task and records it in metrics.jsonl and TensorBoard.</summary>
    public void Evaluation(long iteration, ValidationOutcome outcome)
    {
        if (outcome.Panoptic is { } panoptic) Evaluation(iteration, panoptic, outcome.Extras);
        else Evaluation(iteration, outcome.Semantic, outcome.Extras);
    }

    public void Evaluation(long iteration, SemanticResult result, IValidationExtras? extras = null)
    {
        var p = result.ReportedPercent();
        double valLoss = extras?.Loss ?? double.NaN;
        Log.Information("Validation at iter {Iter}: mIoU {MIoU:F2} mAcc {MAcc:F2} aAcc {AAcc:F2} val_loss {ValLoss:F4}", iteration, p["mIoU"], p["mAcc"], p["aAcc"], valLoss);
        var record = new Dictionary<string, object?> { ["iter"] = iteration, ["mode"] = "val", ["mIoU"] = p["mIoU"], ["mAcc"] = p["mAcc"], ["aAcc"] = p["aAcc"] };
        if (double.IsFinite(valLoss)) record["val_loss"] = valLoss;
        // Per-class IoU in percent (null = class absent), for `segment report`'s bars.
        record["IoU"] = result.IoU.Select(v => double.IsFinite(v) ? (object?)(100 * v) : null).ToArray();
        AppendJson(record);
        Board?.Evaluation(iteration, result, extras);
    }

    /// <summary>Panoptic validation: PQ/SQ/RQ (all, things, stuff) and the semantic branch's mIoU, in percent (null where undefined).</summary>
    public void Evaluation(long iteration, PanopticEvalResult result, IValidationExtras? extras = null)
    {
        double valLoss = extras?.Loss ?? double.NaN;
        var (all, things, stuff) = (result.Panoptic.All, result.Panoptic.Things, result.Panoptic.Stuff);
        Log.Information("Validation at iter {Iter}: PQ {PQ:F2} SQ {SQ:F2} RQ {RQ:F2} | things PQ {PQth:F2} | stuff PQ {PQst:F2} | mIoU {MIoU:F2} val_loss {ValLoss:F4}",
            iteration, 100 * all.Pq, 100 * all.Sq, 100 * all.Rq, 100 * things.Pq, 100 * stuff.Pq, 100 * result.Semantic.MIoU, valLoss);
        static object? Pct(double v) => double.IsFinite(v) ? 100 * v : null;
        var record = new Dictionary<string, object?>
        {
            ["iter"] = iteration, ["mode"] = "val", ["PQ"] = Pct(all.Pq), ["SQ"] = Pct(all.Sq), ["RQ"] = Pct(all.Rq),
            ["PQ_th"] = Pct(things.Pq), ["PQ_st"] = Pct(stuff.Pq), ["mIoU"] = Pct(result.Semantic.MIoU),
        };
        if (double.IsFinite(valLoss)) record["val_loss"] = valLoss;
        AppendJson(record);
        Board?.Evaluation(iteration, result, extras);
    }

    public void Finish()
    {
        long peak = Math.Max(_peakRss, RssBytes());
        Log.Information("Training done in {Elapsed}; peak rss {Rss} MB", _clock.Elapsed.ToString(@"hh\:mm\:ss"), peak >> 20);
        // Run totals for `segment report` (one per process; a resumed run adds its own).
        AppendJson(new Dictionary<string, object> { ["mode"] = "end", ["elapsed_s"] = Math.Round(_clock.Elapsed.TotalSeconds, 3), ["peak_rss_mb"] = peak >> 20 });
    }

    private void AppendJson<T>(Dictionary<string, T> record) =>
        File.AppendAllText(_jsonlPath, JsonSerializer.Serialize(record) + "\n");
}
