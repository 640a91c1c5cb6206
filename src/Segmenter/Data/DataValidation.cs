using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>Label checks shared by datasets (at load) and the data checker.</summary>
public static class DataValidation
{
    public const string LabelValueFix = "check num_classes or the mask encoding; 255 marks ignore";

    /// <summary>Raises when a label value is neither a class id (&lt; numClasses) nor the ignore index; names the largest bad value.</summary>
    public static void ValidateLabelValues(LabelMap label, int numClasses, int ignoreIndex, string path)
    {
        int bad = MaxBadValue(label, numClasses, ignoreIndex);
        if (bad >= 0)
            throw new SegmenterException($"label value {bad} >= num_classes {numClasses} in {path}", null, LabelValueFix);
    }

    /// <summary>The largest value that is neither a class nor ignore, or -1.</summary>
    internal static int MaxBadValue(LabelMap label, int numClasses, int ignoreIndex)
    {
        Span<bool> present = stackalloc bool[256];
        foreach (var v in label.Data) present[v] = true;
        for (int v = 255; v >= numClasses && v >= 0; v--)
            if (present[v] && v != ignoreIndex) return v;
        return -1;
    }

    public static void ValidateSameSize(RgbImage image, LabelMap label, string imagePath, string labelPath)
    {
        if (image.Width != label.Width || image.Height != label.Height)
            throw new SegmenterException(
                $"image is {image.Width}x{image.Height} but its label {labelPath} is {label.Width}x{label.Height}", imagePath,
                "re-export the mask at the image size");
    }

    /// <summary>mmseg reduce_zero_label: 0 becomes ignore (255), every other value v becomes v-1, 255 stays 255.</summary>
    public static LabelMap ReduceZeroLabel(LabelMap label)
    {
        var data = new byte[label.Data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            int v = label.Data[i];
            data[i] = v is 0 or 255 ? (byte)255 : (byte)(v - 1);
        }
        return label with { Data = data };
    }
}
