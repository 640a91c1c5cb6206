using Segmenter.IO;

namespace Segmenter.Evaluation;

/// <summary>
/// Accumulates the four per-class pixel areas of mmseg's IoUMetric (intersect, union, pred, label) over a whole
/// dataset, as exact 64-bit counts, so that ratios are taken once over the summed areas (not averaged per image).
/// Ignore pixels are removed using the ground truth only; values outside [0, C-1] fall out of their histogram
/// exactly as torch.histc drops them.
/// </summary>
public sealed class SemanticMetric
{
    private readonly long[] _intersect, _pred, _label;
    private readonly int[] _rowOffset = new int[256];     // raw GT byte -> row start in _conf (row 256 = ignored)
    private readonly int[] _conf = new int[257 * 256];    // per-image counts of (GT row, pred value)

    public SemanticMetric(int numClasses, int ignoreIndex = 255, bool reduceZeroLabel = false)
    {
        if (numClasses < 1)
            throw new SegmenterException($"num_classes must be at least 1, got {numClasses}", "num_classes", "set the number of classes of the dataset");
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        ReduceZeroLabel = reduceZeroLabel;
        _intersect = new long[numClasses];
        _pred = new long[numClasses];
        _label = new long[numClasses];
        for (int v = 0; v < 256; v++)
        {
            int l = reduceZeroLabel ? ReduceZero(v) : v;
            _rowOffset[v] = (l == ignoreIndex ? 256 : l) * 256;
        }
    }

    public int NumClasses { get; }
    public int IgnoreIndex { get; }
    public bool ReduceZeroLabel { get; }

    /// <summary>Number of images added so far (including merged metrics).</summary>
    public int ImageCount { get; private set; }

    public IReadOnlyList<long> AreaIntersect => _intersect;
    public IReadOnlyList<long> AreaPredLabel => _pred;
    public IReadOnlyList<long> AreaLabel => _label;

    /// <summary>union = pred + label - intersect, per class.</summary>
    public long[] AreaUnion()
    {
        var u = new long[NumClasses];
        for (int c = 0; c < NumClasses; c++) u[c] = _pred[c] + _label[c] - _intersect[c];
        return u;
    }

    /// <summary>mmseg LoadAnnotations(reduce_zero_label=True): 0 -> 255, others -1, and the resulting 254 -> 255.</summary>
    public static int ReduceZero(int v)
    {
        if (v == 0) v = 255;
        v -= 1;
        return v == 254 ? 255 : v;
    }

    /// <summary>
    /// Adds one image: prediction and ground-truth label maps of the same size (raw GT; reduce_zero_label is applied here).
    /// One pass fills a (label row x pred value) count table, from which the four areas are read off; not thread-safe.
    /// </summary>
    public unsafe void Update(ReadOnlySpan<byte> pred, ReadOnlySpan<byte> label)
    {
        if (pred.Length != label.Length)
            throw new SegmenterException($"prediction has {pred.Length} pixels but the label has {label.Length}", "SemanticMetric.Update",
                "predict at the original label resolution");
        var conf = _conf;
        Array.Clear(conf);
        int n = pred.Length;
        fixed (byte* pp = pred, lp = label)
        fixed (int* cp = conf, rowOf = _rowOffset)
        {
            for (int i = 0; i < n; i++) cp[rowOf[lp[i]] + pp[i]]++;

            // Rows 0..255 hold the (reduced) GT value of non-ignored pixels; row 256 collects ignored pixels and is dropped.
            // Values outside [0, C-1] fall out of their own histogram only, as with torch.histc.
            int c = NumClasses, cols = Math.Min(c, 256);
            for (int r = 0; r < 256; r++)
            {
                int* row = cp + r * 256;
                for (int k = 0; k < cols; k++) _pred[k] += row[k];
                if (r < c)
                {
                    long sum = 0;
                    for (int k = 0; k < 256; k++) sum += row[k];
                    _label[r] += sum;
                    _intersect[r] += row[r];
                }
            }
        }
        ImageCount++;
    }

    /// <summary>Adds one image after checking that both maps have the same size; <paramref name="imageName"/> names it in errors.</summary>
    public void Update(LabelMap pred, LabelMap label, string? imageName = null)
    {
        if (pred.Width != label.Width || pred.Height != label.Height)
            throw new SegmenterException(
                $"prediction is {pred.Width}x{pred.Height} but the label is {label.Width}x{label.Height}",
                imageName ?? "SemanticMetric.Update", "predict at the original label resolution (resize logits before argmax)");
        Update(pred.Data, label.Data);
    }

    /// <summary>Merges another metric's areas (e.g. from another worker); both must have the same settings.</summary>
    public void Add(SemanticMetric other)
    {
        if (other.NumClasses != NumClasses || other.IgnoreIndex != IgnoreIndex || other.ReduceZeroLabel != ReduceZeroLabel)
            throw new SegmenterException(
                $"cannot merge metrics with different settings (classes {other.NumClasses} vs {NumClasses}, ignore {other.IgnoreIndex} vs {IgnoreIndex}, reduce_zero_label {other.ReduceZeroLabel} vs {ReduceZeroLabel})",
                "SemanticMetric.Add", "create all partial metrics with the same num_classes, ignore_index and reduce_zero_label");
        for (int k = 0; k < NumClasses; k++)
        {
            _intersect[k] += other._intersect[k];
            _pred[k] += other._pred[k];
            _label[k] += other._label[k];
        }
        ImageCount += other.ImageCount;
    }

    /// <summary>Clears all areas.</summary>
    public void Reset()
    {
        Array.Clear(_intersect); Array.Clear(_pred); Array.Clear(_label);
        ImageCount = 0;
    }

    public SemanticResult Compute() =>
        new(NumClasses, IgnoreIndex, ReduceZeroLabel, ImageCount,
            (long[])_intersect.Clone(), AreaUnion(), (long[])_pred.Clone(), (long[])_label.Clone());
}
