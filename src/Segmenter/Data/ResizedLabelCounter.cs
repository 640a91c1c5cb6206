namespace Segmenter.Data;

/// <summary>
/// Counts the classes in windows of a nearest-neighbour resized label map without resizing it, for RandomCrop's
/// cat_max_ratio test (up to ten tries per sample). The source rows are kept as runs of one value; a run stands for
/// (output rows that take its source row) x (output columns that take its source columns) pixels of the resized map,
/// both read off the index maps of <see cref="ImageOps.NearestSourceIndex"/>. Label maps are piecewise constant, so a
/// window costs about (source rows x runs per row) steps instead of one per output pixel; the counts are exactly those
/// of the resized window.
/// </summary>
public sealed class ResizedLabelCounter
{
    private readonly int[] _ys, _xs;
    private readonly int[] _firstOutRow, _firstOutColumn; // [s] = first output index whose source index is >= s
    private readonly int[] _rowRuns;                        // runs of source row s: _rowRuns[s] .. _rowRuns[s + 1] - 1
    private readonly List<int> _runEnd = [];                // exclusive end column of each run (it starts where the one before ends)
    private readonly List<byte> _runValue = [];

    public ResizedLabelCounter(byte[] source, int sourceW, int sourceH, int[] ys, int[] xs)
    {
        _ys = ys; _xs = xs;
        _firstOutRow = FirstOutputIndex(ys, sourceH);
        _firstOutColumn = FirstOutputIndex(xs, sourceW);
        _rowRuns = new int[sourceH + 1];
        for (int s = 0; s < sourceH; s++)
        {
            _rowRuns[s] = _runEnd.Count;
            var row = source.AsSpan(s * sourceW, sourceW);
            for (int x = 0; x < sourceW;)
            {
                byte v = row[x];
                int length = row[x..].IndexOfAnyExcept(v);
                x = length < 0 ? sourceW : x + length;
                _runEnd.Add(x);
                _runValue.Add(v);
            }
        }
        _rowRuns[sourceH] = _runEnd.Count;
    }

    /// <summary>Adds to <paramref name="counts"/> (256 values) the class counts of the h x w window at (y0, x0) of the resized map.</summary>
    public void Count(int y0, int x0, int h, int w, Span<int> counts)
    {
        int firstColumn = _xs[x0], lastColumn = _xs[x0 + w - 1];
        for (int s = _ys[y0]; s <= _ys[y0 + h - 1]; s++)
        {
            int rows = Math.Min(_firstOutRow[s + 1], y0 + h) - Math.Max(_firstOutRow[s], y0);
            if (rows <= 0) continue; // shrinking skips source rows
            int runStart = 0;
            for (int r = _rowRuns[s]; r < _rowRuns[s + 1] && runStart <= lastColumn; r++)
            {
                int end = _runEnd[r];
                if (end > firstColumn)
                {
                    int columns = Math.Min(_firstOutColumn[end], x0 + w) - Math.Max(_firstOutColumn[runStart], x0);
                    if (columns > 0) counts[_runValue[r]] += rows * columns;
                }
                runStart = end;
            }
        }
    }

    /// <summary>first[s] = the first output index i with map[i] >= s (map.Length when none), for s in 0..sourceSize.</summary>
    private static int[] FirstOutputIndex(int[] map, int sourceSize)
    {
        var first = new int[sourceSize + 1];
        int i = 0;
        for (int s = 0; s <= sourceSize; s++)
        {
            while (i < map.Length && map[i] < s) i++;
            first[s] = i;
        }
        return first;
    }
}
