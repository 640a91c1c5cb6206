using System.Text.Json;
using System.Text.Json.Nodes;

namespace Segmenter.Evaluation;

/// <summary>
/// Pixel confusion matrix over a split, as MMSegmentation's tools/analysis_tools/confusion_matrix.py: rows = ground
/// truth class, columns = predicted class, pixels whose label is ignore_index (or outside [0, C)) excluded; predictions
/// outside [0, C) are dropped too. Its diagonal is the metric's area_intersect, its row sums area_label and its column
/// sums area_pred_label, so it explains a high aAcc with a low mIoU (which classes swallow which). Row-normalised
/// values are each row divided by its sum (the recall view, what confusion_matrix.py plots; empty rows stay 0).
/// </summary>
public sealed class ConfusionMatrix(int numClasses, int ignoreIndex)
{
    public int NumClasses { get; } = numClasses;
    public int IgnoreIndex { get; } = ignoreIndex;
    public long[,] Counts { get; } = new long[numClasses, numClasses];

    public void Update(ReadOnlySpan<byte> pred, ReadOnlySpan<byte> label)
    {
        if (pred.Length != label.Length)
            throw new ArgumentException($"prediction has {pred.Length} pixels but the label has {label.Length}");
        int c = NumClasses;
        for (int i = 0; i < pred.Length; i++)
        {
            int g = label[i], p = pred[i];
            if (g == IgnoreIndex || g >= c || p >= c) continue;
            Counts[g, p]++;
        }
    }

    /// <summary>Each row divided by its sum (rows without pixels stay 0).</summary>
    public double[,] RowNormalized()
    {
        int c = NumClasses;
        var n = new double[c, c];
        for (int r = 0; r < c; r++)
        {
            long sum = 0;
            for (int k = 0; k < c; k++) sum += Counts[r, k];
            if (sum == 0) continue;
            for (int k = 0; k < c; k++) n[r, k] = (double)Counts[r, k] / sum;
        }
        return n;
    }

    public string ToJson(IReadOnlyList<string> classNames)
    {
        var norm = RowNormalized();
        JsonArray Rows<T>(Func<int, int, T> at) => new(Enumerable.Range(0, NumClasses)
            .Select(r => (JsonNode?)new JsonArray(Enumerable.Range(0, NumClasses).Select(k => (JsonNode?)JsonValue.Create(at(r, k))).ToArray())).ToArray());
        var root = new JsonObject
        {
            ["rows"] = "ground truth", ["columns"] = "prediction", ["ignore_index"] = IgnoreIndex,
            ["classes"] = new JsonArray(classNames.Take(NumClasses).Select(n => (JsonNode?)n).ToArray()),
            ["counts"] = Rows((r, k) => Counts[r, k]),
            ["normalized"] = Rows((r, k) => Math.Round(norm[r, k], 6)),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>Reads <see cref="ToJson"/>'s output back: class names and counts.</summary>
    public static (IReadOnlyList<string> Classes, ConfusionMatrix Matrix) FromJson(string json, string source)
    {
        try
        {
            var root = JsonNode.Parse(json)!.AsObject();
            var classes = root["classes"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            var counts = root["counts"]!.AsArray();
            var m = new ConfusionMatrix(counts.Count, root["ignore_index"]?.GetValue<int>() ?? 255);
            for (int r = 0; r < counts.Count; r++)
            {
                var row = counts[r]!.AsArray();
                for (int k = 0; k < counts.Count; k++) m.Counts[r, k] = row[k]!.GetValue<long>();
            }
            return (classes, m);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or ArgumentOutOfRangeException or FormatException)
        {
            throw new SegmenterException($"not a confusion matrix JSON ({e.Message})", source, "re-create it with `segment eval --confusion`");
        }
    }
}
