using Segmenter.Evaluation;

namespace Segmenter.Visualization;

/// <summary>`segment eval --confusion [DIR]`: DIR/confusion.json (counts and row-normalised) and DIR/confusion.png (heat map of the normalised matrix).</summary>
public static class ConfusionOutput
{
    public static (string Json, string Png) Write(string dir, ConfusionMatrix matrix, IReadOnlyList<string> classNames)
    {
        Directory.CreateDirectory(dir);
        var json = Path.Combine(dir, "confusion.json");
        IO.AtomicFile.WriteAllText(json, matrix.ToJson(classNames));
        var png = Path.Combine(dir, "confusion.png");
        Plots.HeatMap(png, "Confusion matrix (row-normalised)", "prediction", "ground truth", matrix.RowNormalized(), classNames);
        return (json, png);
    }
}
