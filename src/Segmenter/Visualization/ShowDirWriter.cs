using System.Globalization;
using System.Text;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Visualization;

/// <summary>
/// `segment eval --show-dir D [--worst N]`: per validation image a panel image | ground truth | prediction | error map
/// (white = wrong, as DeepLab2's vis.py error map) in D, plus D/images.csv listing every image with its IoU, worst
/// first. Per-image IoU = mean over the classes present in the ground truth or the prediction of
/// intersection / union (ignored pixels excluded). With --worst N only the N worst panels are kept (in memory, so
/// memory stays bounded by N) and written as 0001_&lt;id&gt;.png…, worst first; without it every panel is written as it
/// comes, named &lt;id&gt;.png.
/// </summary>
public sealed class ShowDirWriter(string dir, ISegmentationDataset dataset, int numClasses, int ignoreIndex,
    IReadOnlyList<(byte R, byte G, byte B)> palette, int? worst, int panelSide = 512)
{
    private readonly List<(string Id, double IoU)> _scores = new();
    private readonly PriorityQueue<(string Id, double IoU, RgbImage Panel), double> _worst = new(); // max-heap on IoU via -IoU priority

    /// <summary>Mean IoU of one image over the classes present in truth or prediction (NaN if all pixels are ignored).</summary>
    public static double ImageIoU(ReadOnlySpan<byte> pred, ReadOnlySpan<byte> label, int numClasses, int ignoreIndex)
    {
        var inter = new long[numClasses];
        var union = new long[numClasses];
        for (int i = 0; i < label.Length; i++)
        {
            int g = label[i], p = pred[i];
            if (g == ignoreIndex || g >= numClasses) continue;
            if (g == p) { inter[g]++; union[g]++; }
            else
            {
                union[g]++;
                if (p < numClasses) union[p]++;
            }
        }
        double sum = 0; int n = 0;
        for (int c = 0; c < numClasses; c++)
            if (union[c] > 0) { sum += (double)inter[c] / union[c]; n++; }
        return n == 0 ? double.NaN : sum / n;
    }

    public static RgbImage Panel(RgbImage image, LabelMap truth, LabelMap prediction, IReadOnlyList<(byte R, byte G, byte B)> palette, int ignoreIndex, int side) =>
        Panels.SideBySide(new[]
        {
            image, Panels.Colorize(truth, palette, ignoreIndex), Panels.Colorize(prediction, palette, ignoreIndex),
            Panels.ErrorMap(truth, prediction, ignoreIndex),
        }.Select(t => Panels.FitWithin(t, side)).ToList());

    public void OnImage(int index, TransformedSample item, byte[] pred)
    {
        double iou = ImageIoU(pred, item.Label, numClasses, ignoreIndex);
        _scores.Add((item.Id, iou));
        double key = double.IsNaN(iou) ? 1.0 : iou;
        if (worst is { } n && _worst.Count >= n && _worst.TryPeek(out _, out var top) && -top <= key) return; // not among the worst
        var truth = new LabelMap(item.OrigWidth, item.OrigHeight, item.Label);
        var prediction = new LabelMap(item.OrigWidth, item.OrigHeight, pred);
        var panel = Panel(dataset.Load(index).Image, truth, prediction, palette, ignoreIndex, panelSide);
        if (worst is null)
        {
            Directory.CreateDirectory(dir);
            ImageIO.WritePng(Path.Combine(dir, $"{Safe(item.Id)}.png"), panel);
            return;
        }
        _worst.Enqueue((item.Id, key, panel), -key);
        if (_worst.Count > worst) _worst.Dequeue();
    }

    /// <summary>Writes the kept worst panels and images.csv; returns how many panels the directory holds.</summary>
    public int Finish()
    {
        Directory.CreateDirectory(dir);
        int written = _scores.Count;
        if (worst is not null)
        {
            var kept = new List<(string Id, double IoU, RgbImage Panel)>();
            while (_worst.Count > 0) kept.Add(_worst.Dequeue());
            kept.Reverse(); // dequeued best-of-the-worst first
            for (int i = 0; i < kept.Count; i++)
                ImageIO.WritePng(Path.Combine(dir, $"{i + 1:D4}_{Safe(kept[i].Id)}.png"), kept[i].Panel);
            written = kept.Count;
        }
        var csv = new StringBuilder("image,iou\n");
        foreach (var (id, iou) in _scores.OrderBy(s => double.IsNaN(s.IoU) ? 2 : s.IoU))
            csv.Append(id).Append(',').Append(double.IsNaN(iou) ? "" : iou.ToString("F4", CultureInfo.InvariantCulture)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, "images.csv"), csv.ToString());
        return written;
    }

    private static string Safe(string id) => string.Concat(id.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));
}
