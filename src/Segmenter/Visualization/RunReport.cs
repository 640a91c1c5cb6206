using System.Globalization;
using System.Net;
using System.Text;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Serilog;

namespace Segmenter.Visualization;

/// <summary>
/// `segment report --work-dir W` (and the end of every training run): W/report/report.html, one self-contained page
/// (every plot inlined as a base64 PNG, no scripts, opens offline) plus the PNGs beside it — loss terms and lr over
/// iterations (as MMSegmentation's analyze_logs.py plot_curve), validation metrics and validation loss over
/// iterations, per-class IoU bars of the best validation, the row-normalised confusion matrix (W/confusion.json from
/// `segment eval --confusion`) as a heat map, data time vs step time, and a table of the run (config, best metrics,
/// time, peak RSS). Data: W/metrics.jsonl, W/config.yaml, W/confusion.json.
/// </summary>
public static class RunReport
{
    public const string DirName = "report";

    /// <summary>Writes the report; returns the path of report.html.</summary>
    public static string Write(string workDir)
    {
        workDir = Path.GetFullPath(workDir);
        var log = RunLog.Read(Path.Combine(workDir, "metrics.jsonl"));
        var outDir = Path.Combine(workDir, DirName);
        Directory.CreateDirectory(outDir);
        var configPath = Path.Combine(workDir, "config.yaml");
        ExperimentConfig? cfg = null;
        if (File.Exists(configPath))
        {
            try { cfg = ConfigLoader.Load(configPath); }
            catch (SegmenterException e) { Log.Warning("Report: config.yaml not readable ({Error}); class names shown as indices", e.Message); }
        }
        var classNames = cfg is null ? null : ClassNames.For(cfg);

        var figures = new List<(string Title, string File, string Caption)>();
        int stage = 0;
        void Step() => Logging.ProgressReporting.Report("report", ++stage, 6); // training plots, metrics, val loss, class IoU, confusion, html
        string P(string name) => Path.Combine(outDir, name);
        if (log.Train.Count > 0)
        {
            Plots.Lines(P("loss.png"), "Training loss", "iteration", "loss (mean over the log interval)", log.LossKeys().Select(k => log.TrainSeries(k)).ToList());
            figures.Add(("Loss terms", "loss.png", "Every loss term, mean over each log interval."));
            Plots.Lines(P("lr.png"), "Learning rate", "iteration", "lr", [log.TrainSeries("lr")]);
            figures.Add(("Learning rate", "lr.png", "The schedule as applied."));
            Plots.Lines(P("timing.png"), "Data time vs step time", "iteration", "seconds per iteration",
                [log.TrainSeries("time", "step (incl. data)"), log.TrainSeries("data_time", "data")]);
            figures.Add(("Data time vs step time", "timing.png", "When data time approaches step time the loader is the bottleneck (raise data.num_workers)."));
        }
        Step();
        var metricKeys = log.ValKeys().Where(k => k != ValidationMetrics.ValLoss).ToList();
        if (metricKeys.Count > 0)
        {
            Plots.Lines(P("val_metrics.png"), "Validation metrics", "iteration", "%", metricKeys.Select(log.ValSeries).ToList());
            figures.Add(("Validation metrics", "val_metrics.png", "Metrics of each validation, in percent."));
        }
        Step();
        if (log.ValKeys().Contains(ValidationMetrics.ValLoss))
        {
            Plots.Lines(P("val_loss.png"), "Validation loss", "iteration", "cross-entropy",
                [log.ValSeries(ValidationMetrics.ValLoss), log.TrainSeries("decode.loss_ce", "train decode.loss_ce")]);
            figures.Add(("Validation loss", "val_loss.png", "Mean pixel cross-entropy on the validation split (and the training CE term, if logged)."));
        }
        Step();
        var best = BestValidation(log, cfg);
        if (best is { ClassIoU: { } iou })
        {
            var names = Enumerable.Range(0, iou.Length).Select(i => classNames is not null && i < classNames.Count ? classNames[i] : $"{i}").ToList();
            Plots.Bars(P("class_iou.png"), $"Per-class IoU at iteration {best.Value.Iter} (best {best.Value.Metric})", "IoU %", names, iou,
                width: Math.Max(Plots.Width, 30 * iou.Length + 150));
            figures.Add(("Per-class IoU", "class_iou.png", $"Validation at iteration {best.Value.Iter}, the best by {best.Value.Metric}; n/a = class absent from the split."));
        }
        Step();
        var confusionPath = Path.Combine(workDir, "confusion.json");
        if (File.Exists(confusionPath))
        {
            var (classes, matrix) = ConfusionMatrix.FromJson(File.ReadAllText(confusionPath), confusionPath);
            Plots.HeatMap(P("confusion.png"), "Confusion matrix (row-normalised)", "prediction", "ground truth", matrix.RowNormalized(), classes);
            figures.Add(("Confusion matrix", "confusion.png", "Rows: ground truth, columns: prediction, each row sums to 1 (ignored pixels excluded); from confusion.json."));
        }

        Step();
        var html = Html(workDir, log, cfg, best, figures, outDir, configPath);
        var path = P("report.html");
        IO.AtomicFile.WriteAllText(path, html);
        Step();
        return path;
    }

    /// <summary>Writes the report after a training run; a failure is logged, never fatal (the run itself succeeded).</summary>
    public static void TryWrite(string workDir)
    {
        try { Log.Information("Report: {Path}", Write(workDir)); }
        catch (Exception e) when (e is SegmenterException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Log.Warning("Report not written: {Error}", e.Message);
        }
    }

    /// <summary>The validation record that is best by train.save_best (auto: PQ if logged, else mIoU).</summary>
    private static (long Iter, string Metric, double[]? ClassIoU, Dictionary<string, double> Values)? BestValidation(RunLog log, ExperimentConfig? cfg)
    {
        if (log.Val.Count == 0) return null;
        var keys = log.ValKeys();
        string metric = cfg?.Train.SaveBest is { } sb && sb != "auto" && keys.Contains(sb) ? sb : keys.Contains("PQ") ? "PQ" : "mIoU";
        bool greater = ValidationMetrics.GreaterIsBetter(metric, cfg?.Train.SaveBestRule ?? "auto");
        var scored = log.Val.Where(v => v.Values.TryGetValue(metric, out var x) && double.IsFinite(x)).ToList();
        if (scored.Count == 0) return null;
        var b = greater ? scored.MaxBy(v => v.Values[metric]) : scored.MinBy(v => v.Values[metric]);
        return (b.Iter, metric, b.ClassIoU, b.Values);
    }

    private static string Html(string workDir, RunLog log, ExperimentConfig? cfg,
        (long Iter, string Metric, double[]? ClassIoU, Dictionary<string, double> Values)? best,
        List<(string Title, string File, string Caption)> figures, string outDir, string configPath)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        static string N(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Segmenter run report</title>\n<style>")
          .Append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}")
          .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}img{max-width:100%;border:1px solid #eee}")
          .Append("pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}figure{margin:1.5em 0}</style></head><body>\n");
        sb.Append($"<h1>Run report</h1>\n<p>{E(workDir)} &mdash; written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC</p>\n<h2>Run</h2>\n<table>\n");
        void Row(string k, string v) => sb.Append($"<tr><th>{E(k)}</th><td>{E(v)}</td></tr>\n");
        if (cfg is not null)
        {
            Row("model", $"{cfg.Model.Type}: {cfg.Model.DecodeHead.Type}, {cfg.Model.Backbone.Type} depth {cfg.Model.Backbone.Depth}, {cfg.Model.NumClasses} classes");
            Row("data", $"{cfg.Data.Type} at {cfg.Data.Root}, batch {cfg.Data.BatchSize}");
            Row("optimizer", $"{cfg.Optimizer.Type}, lr {N(cfg.Optimizer.Lr)}, max_iters {cfg.Schedule.MaxIters}");
        }
        if (log.Train.Count > 0) Row("iterations logged", $"{log.Train[0].Iter}..{log.Train[^1].Iter}");
        double? elapsed = log.ElapsedSeconds;
        if (elapsed is null && log.Train.Count > 0)
        {
            // Without an end record (a killed run): sum of mean step time x iterations of each interval.
            double t = 0; long prev = 0;
            foreach (var (iter, v) in log.Train) { t += v.GetValueOrDefault("time") * (iter - prev); prev = iter; }
            elapsed = t;
        }
        if (elapsed is { } s) Row("training time", TimeSpan.FromSeconds(Math.Round(s)).ToString(@"d\.hh\:mm\:ss"));
        var peak = log.PeakRssMb ?? (log.Train.Count > 0 ? log.Train.Max(t => t.Values.GetValueOrDefault("rss_mb")) : null);
        if (peak is { } mb) Row("peak RSS", $"{mb:F0} MB");
        if (log.Train.Count > 0) Row("mean step / data time", $"{log.Train.Average(t => t.Values.GetValueOrDefault("time")):F3} s / {log.Train.Average(t => t.Values.GetValueOrDefault("data_time")):F3} s");
        sb.Append("</table>\n");
        if (best is { } b)
        {
            sb.Append($"<h2>Best validation (by {E(b.Metric)}, iteration {b.Iter})</h2>\n<table><tr>");
            foreach (var k in b.Values.Keys.Where(k => k != "iter")) sb.Append($"<th>{E(k)}</th>");
            sb.Append("</tr><tr>");
            foreach (var (k, v) in b.Values.Where(kv => kv.Key != "iter")) sb.Append($"<td>{N(Math.Round(v, 4))}</td>");
            sb.Append("</tr></table>\n");
        }
        foreach (var (title, file, caption) in figures)
        {
            var b64 = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(outDir, file)));
            sb.Append($"<figure><h2>{E(title)}</h2><img alt=\"{E(title)}\" src=\"data:image/png;base64,{b64}\"><figcaption>{E(caption)} ({E(file)})</figcaption></figure>\n");
        }
        if (File.Exists(configPath))
            sb.Append($"<h2>Config</h2>\n<details><summary>config.yaml</summary><pre>{E(File.ReadAllText(configPath))}</pre></details>\n");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }
}
