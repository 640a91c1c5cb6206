using System.Text.Json;

namespace Segmenter.Visualization;

/// <summary>
/// A run's metrics.jsonl read back (written by Training/TrainProgress): training records (iter, lr, time, data_time,
/// rss_mb and one key per loss term), validation records (mode "val": mIoU/mAcc/aAcc or PQ/SQ/RQ…, val_loss, per-class
/// IoU) and the end record (mode "end": elapsed_s, peak_rss_mb). A resumed run appends, so an iteration may appear
/// twice: the later record wins. Lines that are not JSON objects (a run killed mid-write) are skipped.
/// </summary>
public sealed class RunLog
{
    private static readonly HashSet<string> NotLosses = ["iter", "lr", "time", "data_time", "rss_mb", "mode"];

    public List<(long Iter, Dictionary<string, double> Values)> Train { get; } = new();
    public List<(long Iter, Dictionary<string, double> Values, double[]? ClassIoU)> Val { get; } = new();
    public double? ElapsedSeconds { get; private set; }
    public double? PeakRssMb { get; private set; }

    public static RunLog Read(string path)
    {
        if (!File.Exists(path))
            throw new SegmenterException("metrics.jsonl not found", path, "pass the work dir of a training run (--work-dir)");
        var log = new RunLog();
        var train = new SortedDictionary<long, Dictionary<string, double>>();
        var val = new SortedDictionary<long, (Dictionary<string, double>, double[]?)>();
        foreach (var line in File.ReadLines(path))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException) { continue; }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
                var values = new Dictionary<string, double>(StringComparer.Ordinal);
                double[]? classIoU = null;
                string mode = "train";
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Name == "mode" && p.Value.ValueKind == JsonValueKind.String) mode = p.Value.GetString()!;
                    else if (p.Value.ValueKind == JsonValueKind.Number) values[p.Name] = p.Value.GetDouble();
                    else if (p.Name == "IoU" && p.Value.ValueKind == JsonValueKind.Array)
                        classIoU = p.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToArray();
                }
                if (mode == "end")
                {
                    log.ElapsedSeconds = (log.ElapsedSeconds ?? 0) + values.GetValueOrDefault("elapsed_s");
                    if (values.TryGetValue("peak_rss_mb", out var rss)) log.PeakRssMb = Math.Max(log.PeakRssMb ?? 0, rss);
                    continue;
                }
                if (!values.TryGetValue("iter", out var iter)) continue;
                if (mode == "val") val[(long)iter] = (values, classIoU);
                else train[(long)iter] = values;
            }
        }
        foreach (var (k, v) in train) log.Train.Add((k, v));
        foreach (var (k, (v, c)) in val) log.Val.Add((k, v, c));
        return log;
    }

    /// <summary>Loss term keys of the training records ("loss" first).</summary>
    public IReadOnlyList<string> LossKeys() => Train.SelectMany(t => t.Values.Keys).Where(k => !NotLosses.Contains(k)).Distinct()
        .OrderBy(k => k == "loss" ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>Metric keys of the validation records (without iter).</summary>
    public IReadOnlyList<string> ValKeys() => Val.SelectMany(v => v.Values.Keys).Where(k => k != "iter").Distinct().ToList();

    public PlotSeries TrainSeries(string key, string? name = null) => new(name ?? key,
        Train.Select(t => (double)t.Iter).ToArray(), Train.Select(t => t.Values.GetValueOrDefault(key, double.NaN)).ToArray());

    public PlotSeries ValSeries(string key) => new(key,
        Val.Select(t => (double)t.Iter).ToArray(), Val.Select(t => t.Values.GetValueOrDefault(key, double.NaN)).ToArray());
}
