using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>The class names to print: the config's, else VOC's for 21-class VOC data, Cityscapes' for 19-class Cityscapes data, else class_0..class_N-1.</summary>
public static class ClassNames
{
    public static IReadOnlyList<string> For(ExperimentConfig cfg)
    {
        int n = cfg.Model.NumClasses;
        if (cfg.Data.ClassNames.Count == n) return cfg.Data.ClassNames;
        if (cfg.Data.Type == "voc" && n == Palettes.VocClassNames.Count) return Palettes.VocClassNames;
        if (cfg.Data.Type == "cityscapes" && n == Palettes.CityscapesClassNames.Count) return Palettes.CityscapesClassNames;
        return Enumerable.Range(0, n).Select(i => $"class_{i}").ToList();
    }
}
