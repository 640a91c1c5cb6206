namespace Segmenter.Export;

/// <summary>
/// What `segment export --format onnx` writes: the input size (ignored for H and W when <see cref="Dynamic"/>) and the
/// mean/std the graph normalises with (data.mean / data.std of the training config).
/// </summary>
public sealed record OnnxExportOptions
{
    public required int Height { get; init; }
    public required int Width { get; init; }
    /// <summary>Symbolic height and width ("height", "width") instead of fixed ones; the batch is always symbolic ("batch").</summary>
    public bool Dynamic { get; init; }
    public required IReadOnlyList<double> Mean { get; init; }
    public required IReadOnlyList<double> Std { get; init; }

    /// <summary>Parses "HxW" (e.g. 512x1024) as --size gives it.</summary>
    public static (int H, int W) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out int h) && int.TryParse(parts[1], out int w) && h > 0 && w > 0) return (h, w);
        throw new SegmenterException($"--size '{text}' is not HxW", "--size", "give the input size as height x width, e.g. --size 512x512");
    }
}
