using System.Globalization;

namespace Segmenter.Data;

/// <summary>
/// Class weights for model.loss.class_weight from pixel frequencies p_c = pixels_c / Σ pixels (ignored pixels not
/// counted): ENet's w_c = 1 / ln(c + p_c) with c = 1.02 (Paszke et al. 2016, ENet, section 5.2: bounds the weights to
/// [1/ln(1+c)…1/ln(c)] ≈ [1.4, 50.5]), which MMSegmentation users paste into CrossEntropyLoss(class_weight=…).
/// A class with no pixels gets the largest weight (it cannot contribute to the loss anyway).
/// </summary>
public static class ClassWeights
{
    public const double EnetC = 1.02;

    public static double[] Enet(IReadOnlyList<long> pixelsPerClass, double c = EnetC)
    {
        double total = pixelsPerClass.Sum();
        return pixelsPerClass.Select(n => 1.0 / Math.Log(c + (total > 0 ? n / total : 0))).ToArray();
    }

    /// <summary>The weights as a YAML block to paste into a config, and as a --cfg-options value.</summary>
    public static (string Yaml, string CfgOption) Format(IEnumerable<double> weights)
    {
        var list = "[" + string.Join(", ", weights.Select(w => w.ToString("F4", CultureInfo.InvariantCulture))) + "]";
        return ($"model:\n  loss:\n    class_weight: {list}", $"model.loss.class_weight={list.Replace(" ", "")}");
    }
}
