using ScottPlot;

namespace Segmenter.Visualization;

/// <summary>One named line of a line chart.</summary>
public sealed record PlotSeries(string Name, double[] X, double[] Y);

/// <summary>
/// The report's charts, drawn with ScottPlot 5 (SkiaSharp 3, headless: no window, no GPU) and written as PNG files.
/// Non-finite points are dropped from lines so a NaN class IoU does not break a curve.
/// </summary>
public static class Plots
{
    public const int Width = 900, Height = 450;

    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, bool logY = false,
        int width = Width, int height = Height)
    {
        var plt = new Plot();
        foreach (var s in series)
        {
            var pts = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!logY || p.Second > 0)).ToArray();
            if (pts.Length == 0) continue;
            var line = plt.Add.Scatter(pts.Select(p => p.First).ToArray(), pts.Select(p => logY ? Math.Log10(p.Second) : p.Second).ToArray());
            line.LegendText = s.Name;
            line.MarkerSize = pts.Length == 1 ? 6 : pts.Length <= 30 ? 4 : 0;
            line.LineWidth = 1.5f;
        }
        if (logY)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = y => $"{Math.Pow(10, y):G3}" };
            plt.Axes.Left.TickGenerator = ticks;
        }
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        if (series.Count > 1) plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, width, height);
    }

    /// <summary>Vertical bars with one class name per bar (names rotated so long lists stay readable).</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> labels, double[] values, int width = Width, int height = Height)
    {
        var plt = new Plot();
        var bars = plt.Add.Bars(values.Select(v => double.IsFinite(v) ? v : 0).ToArray());
        for (int i = 0; i < values.Length; i++)
            bars.Bars[i].Label = double.IsFinite(values[i]) ? $"{values[i]:F1}" : "n/a";
        bars.ValueLabelStyle.FontSize = labels.Count > 30 ? 7 : 10;
        var ticks = Enumerable.Range(0, labels.Count).Select(i => new Tick(i, labels[i])).ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plt.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plt.Axes.Bottom.MinimumSize = 80;
        plt.Axes.Margins(bottom: 0);
        plt.Title(title);
        plt.YLabel(yLabel);
        plt.SavePng(path, width, height);
    }

    /// <summary>A matrix as a heat map, row 0 at the top, with class names on both axes and a colour bar.</summary>
    public static void HeatMap(string path, string title, string xLabel, string yLabel, double[,] values, IReadOnlyList<string> labels, int size = 700)
    {
        int n = values.GetLength(0);
        var plt = new Plot();
        var hm = plt.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        // ScottPlot draws data[0, *] at the top; cell centres sit at integer x and (n-1-row) y.
        hm.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        plt.Add.ColorBar(hm);
        var names = Enumerable.Range(0, n).Select(i => i < labels.Count ? labels[i] : $"{i}").ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(i => new Tick(i, names[i])).ToArray());
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(i => new Tick(n - 1 - i, names[i])).ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plt.Axes.Bottom.MinimumSize = 80;
        if (n <= 25)
            for (int r = 0; r < n; r++)
                for (int k = 0; k < n; k++)
                {
                    if (values[r, k] < 0.005) continue; // zeros left blank so the confusions stand out
                    var t = plt.Add.Text($"{values[r, k]:0.00}", k, n - 1 - r);
                    t.LabelFontSize = n <= 12 ? 11 : 7;
                    t.LabelFontColor = values[r, k] > 0.5 ? Colors.Black : Colors.White;
                    t.LabelAlignment = Alignment.MiddleCenter;
                }
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        plt.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plt.SavePng(path, size + 120, size);
    }
}
