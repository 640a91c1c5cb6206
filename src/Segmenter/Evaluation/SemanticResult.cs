using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Segmenter.Evaluation;

/// <summary>
/// Dataset-level semantic metrics computed in double from summed integer areas, with mmseg's definitions:
/// per-class IoU, Acc (= Recall), Dice, Fscore (beta 1), Precision, Recall (NaN for 0/0) and the NaN-ignoring
/// means plus aAcc, all as fractions. <see cref="ReportedPercent"/> gives the numbers mmseg prints.
/// </summary>
public sealed class SemanticResult
{
    /// <summary>Summary keys in the order mmseg reports them.</summary>
    public static readonly IReadOnlyList<string> SummaryKeys = ["aAcc", "mIoU", "mAcc", "mDice", "mFscore", "mPrecision", "mRecall"];

    /// <summary>Per-class metric names in the order used by tables and JSON.</summary>
    public static readonly IReadOnlyList<string> PerClassKeys = ["IoU", "Acc", "Dice", "Fscore", "Precision", "Recall"];

    public SemanticResult(int numClasses, int ignoreIndex, bool reduceZeroLabel, int imageCount,
        long[] areaIntersect, long[] areaUnion, long[] areaPredLabel, long[] areaLabel)
    {
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        ReduceZeroLabel = reduceZeroLabel;
        ImageCount = imageCount;
        AreaIntersect = areaIntersect;
        AreaUnion = areaUnion;
        AreaPredLabel = areaPredLabel;
        AreaLabel = areaLabel;

        IoU = new double[numClasses]; Acc = new double[numClasses]; Dice = new double[numClasses];
        Fscore = new double[numClasses]; Precision = new double[numClasses]; Recall = new double[numClasses];
        long sumI = 0, sumL = 0;
        for (int c = 0; c < numClasses; c++)
        {
            double i = areaIntersect[c], u = areaUnion[c], p = areaPredLabel[c], l = areaLabel[c];
            IoU[c] = i / u;
            Acc[c] = i / l;
            Dice[c] = 2 * i / (p + l);
            Precision[c] = i / p;
            Recall[c] = i / l;
            Fscore[c] = FScore(Precision[c], Recall[c], 1);
            sumI += areaIntersect[c];
            sumL += areaLabel[c];
        }
        AAcc = (double)sumI / sumL;
        MIoU = NanMean(IoU); MAcc = NanMean(Acc); MDice = NanMean(Dice);
        MFscore = NanMean(Fscore); MPrecision = NanMean(Precision); MRecall = NanMean(Recall);
    }

    public int NumClasses { get; }
    public int IgnoreIndex { get; }
    public bool ReduceZeroLabel { get; }
    public int ImageCount { get; }

    public long[] AreaIntersect { get; }
    public long[] AreaUnion { get; }
    public long[] AreaPredLabel { get; }
    public long[] AreaLabel { get; }

    public double[] IoU { get; }
    public double[] Acc { get; }
    public double[] Dice { get; }
    public double[] Fscore { get; }
    public double[] Precision { get; }
    public double[] Recall { get; }

    public double AAcc { get; }
    public double MIoU { get; }
    public double MAcc { get; }
    public double MDice { get; }
    public double MFscore { get; }
    public double MPrecision { get; }
    public double MRecall { get; }

    /// <summary>The per-class array for a name in <see cref="PerClassKeys"/>.</summary>
    public double[] PerClass(string key) => key switch
    {
        "IoU" => IoU, "Acc" => Acc, "Dice" => Dice, "Fscore" => Fscore, "Precision" => Precision, "Recall" => Recall,
        _ => throw new ArgumentException($"unknown per-class metric '{key}'", nameof(key)),
    };

    /// <summary>Summary as fractions, keyed as in <see cref="SummaryKeys"/>.</summary>
    public IReadOnlyDictionary<string, double> Summary() => new Dictionary<string, double>
    {
        ["aAcc"] = AAcc, ["mIoU"] = MIoU, ["mAcc"] = MAcc, ["mDice"] = MDice,
        ["mFscore"] = MFscore, ["mPrecision"] = MPrecision, ["mRecall"] = MRecall,
    };

    /// <summary>What mmseg IoUMetric returns: each summary value x100, rounded to 2 decimals (numpy round: half to even).</summary>
    public IReadOnlyDictionary<string, double> ReportedPercent() =>
        Summary().ToDictionary(kv => kv.Key, kv => RoundPercent(kv.Value));

    /// <summary>numpy's np.round(x * 100, 2): scale, round half to even, unscale. NaN stays NaN.</summary>
    public static double RoundPercent(double fraction)
    {
        double percent = fraction * 100;
        return Math.Round(percent * 100, MidpointRounding.ToEven) / 100;
    }

    /// <summary>
    /// The per-class table mmseg logs (PrettyTable layout, values in percent with 2 decimals, "nan" for 0/0)
    /// followed by one summary line.
    /// </summary>
    public string FormatTable(IReadOnlyList<string>? classNames = null)
    {
        var names = ResolveNames(classNames);
        var headers = new List<string> { "Class" };
        headers.AddRange(PerClassKeys);
        var rows = new List<IReadOnlyList<string>>();
        for (int c = 0; c < NumClasses; c++)
        {
            var row = new List<string> { names[c] };
            foreach (var key in PerClassKeys) row.Add(PyFloat(RoundPercent(PerClass(key)[c])));
            rows.Add(row);
        }
        var sb = new StringBuilder();
        sb.AppendLine("per class results:");
        sb.Append(TextTable.Pretty(headers, rows));
        sb.AppendLine();
        var summary = ReportedPercent();
        sb.Append(string.Join("  ", SummaryKeys.Select(k => $"{k}: {Fixed(summary[k], 2)}")));
        return sb.ToString();
    }

    /// <summary>JSON with settings, per-class fractions, summary fractions, reported percentages and the summed areas; NaN is written as null.</summary>
    public string ToJson(IReadOnlyList<string>? classNames = null)
    {
        var names = ResolveNames(classNames);
        var perClass = new JsonObject();
        foreach (var key in PerClassKeys) perClass[key] = DoubleArray(PerClass(key));
        var summary = new JsonObject();
        foreach (var (k, v) in Summary()) summary[k] = Number(v);
        var reported = new JsonObject();
        foreach (var (k, v) in ReportedPercent()) reported[k] = Number(v);
        var root = new JsonObject
        {
            ["num_classes"] = NumClasses,
            ["ignore_index"] = IgnoreIndex,
            ["reduce_zero_label"] = ReduceZeroLabel,
            ["num_images"] = ImageCount,
            ["class_names"] = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["summary"] = summary,
            ["reported_percent"] = reported,
            ["per_class"] = perClass,
            ["total_area_intersect"] = LongArray(AreaIntersect),
            ["total_area_union"] = LongArray(AreaUnion),
            ["total_area_pred_label"] = LongArray(AreaPredLabel),
            ["total_area_label"] = LongArray(AreaLabel),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private IReadOnlyList<string> ResolveNames(IReadOnlyList<string>? classNames)
    {
        if (classNames is null) return Enumerable.Range(0, NumClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (classNames.Count != NumClasses)
            throw new SegmenterException($"{classNames.Count} class names given for {NumClasses} classes", "class_names",
                "give exactly one name per class (or none)");
        return classNames;
    }

    private static double FScore(double precision, double recall, double beta) =>
        (1 + beta * beta) * (precision * recall) / (beta * beta * precision + recall);

    /// <summary>numpy nanmean: mean over non-NaN entries, NaN when there are none.</summary>
    public static double NanMean(IReadOnlyList<double> values)
    {
        double sum = 0; int n = 0;
        foreach (var v in values)
            if (!double.IsNaN(v)) { sum += v; n++; }
        return n == 0 ? double.NaN : sum / n;
    }

    internal static JsonNode? Number(double v) => double.IsNaN(v) || double.IsInfinity(v) ? null : JsonValue.Create(v);

    private static JsonArray DoubleArray(double[] values) => new(values.Select(Number).ToArray());

    private static JsonArray LongArray(long[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>Python's str() of a float: shortest round-trip digits, "nan", and a trailing ".0" for whole numbers.</summary>
    internal static string PyFloat(double v)
    {
        if (double.IsNaN(v)) return "nan";
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains("Infinity") ? s : s + ".0";
    }

    private static string Fixed(double v, int decimals) =>
        double.IsNaN(v) ? "nan" : v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>A result's areas and image count as one vector (exact in fp64: pixel counts stay far below 2^53), for summing over ranks.</summary>
    public double[] PackAreas()
    {
        int c = NumClasses;
        var packed = new double[3 * c + 1];
        for (int k = 0; k < c; k++)
        {
            packed[k] = AreaIntersect[k];
            packed[c + k] = AreaPredLabel[k];
            packed[2 * c + k] = AreaLabel[k];
        }
        packed[3 * c] = ImageCount;
        return packed;
    }

    /// <summary>Several processes: this rank's result summed with every other rank's (the whole split's result on every rank).</summary>
    public SemanticResult SumOver(EvaluationShard shard)
    {
        if (shard.WorldSize == 1) return this;
        var packed = PackAreas();
        shard.Sum(packed, "val-areas");
        return UnpackAreas(packed, this);
    }

    /// <summary>The result of summed <see cref="PackAreas"/> vectors; settings from <paramref name="like"/>.</summary>
    public static SemanticResult UnpackAreas(double[] packed, SemanticResult like)
    {
        int c = like.NumClasses;
        long[] Slice(int from) => Enumerable.Range(0, c).Select(k => (long)packed[from + k]).ToArray();
        var intersect = Slice(0);
        var pred = Slice(c);
        var label = Slice(2 * c);
        var union = Enumerable.Range(0, c).Select(k => pred[k] + label[k] - intersect[k]).ToArray();
        return new SemanticResult(c, like.IgnoreIndex, like.ReduceZeroLabel, (int)packed[3 * c], intersect, union, pred, label);
    }

}
