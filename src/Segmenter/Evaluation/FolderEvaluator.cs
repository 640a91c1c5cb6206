using Segmenter.IO;

namespace Segmenter.Evaluation;

/// <summary>
/// Evaluates a folder of predicted label PNGs against a folder of ground-truth label PNGs, pairing files by
/// name stem; this is what `segment metrics semantic --pred DIR --gt DIR` runs. Every GT image needs a prediction.
/// </summary>
public static class FolderEvaluator
{
    public static SemanticResult EvaluateSemantic(string predDir, string gtDir, int numClasses, int ignoreIndex = 255, bool reduceZeroLabel = false)
    {
        var metric = new SemanticMetric(numClasses, ignoreIndex, reduceZeroLabel);
        foreach (var (name, predPath, gtPath) in PairByStem(predDir, gtDir))
        {
            var pred = ImageIO.ReadLabel(predPath);
            var gt = ImageIO.ReadLabel(gtPath);
            if (pred.Width != gt.Width || pred.Height != gt.Height)
                throw new SegmenterException(
                    $"prediction {predPath} is {pred.Width}x{pred.Height} but the ground truth is {gt.Width}x{gt.Height}", gtPath,
                    "save predictions at the original label resolution");
            metric.Update(pred, gt, name);
        }
        return metric.Compute();
    }

    /// <summary>Pairs every GT PNG with the prediction PNG of the same stem, in ordinal name order. Extra predictions are ignored.</summary>
    public static IReadOnlyList<(string Name, string PredPath, string GtPath)> PairByStem(string predDir, string gtDir)
    {
        var gts = ListPngs(gtDir, "ground-truth", "--gt");
        var preds = ListPngs(predDir, "prediction", "--pred");
        var predByStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in preds)
            if (!predByStem.TryAdd(Path.GetFileNameWithoutExtension(p), p))
                throw new SegmenterException($"two predictions share the stem '{Path.GetFileNameWithoutExtension(p)}'", p, "keep one PNG per image");
        var pairs = new List<(string, string, string)>(gts.Count);
        foreach (var gt in gts)
        {
            var stem = Path.GetFileNameWithoutExtension(gt);
            if (!predByStem.TryGetValue(stem, out var pred))
                throw new SegmenterException($"no prediction {Path.Combine(predDir, stem + ".png")} for ground truth {gt}", predDir,
                    "predict every image of the split (file names must match the ground-truth stems)");
            pairs.Add((stem, pred, gt));
        }
        return pairs;
    }

    private static List<string> ListPngs(string dir, string what, string option)
    {
        if (!Directory.Exists(dir))
            throw new SegmenterException($"{what} folder not found", dir, $"pass an existing folder to {option}");
        var files = Directory.EnumerateFiles(dir)
            .Where(f => string.Equals(Path.GetExtension(f), ".png", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new SegmenterException($"{what} folder has no .png files", dir, $"pass the folder holding the {what} label PNGs to {option}");
        return files;
    }
}
