using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>The class names to print: the config's, else the dataset format's when model.num_classes equals their count (VOC's 21, Cityscapes' 19), else class_0..class_N-1.</summary>
public static class ClassNames
{
    public static IReadOnlyList<string> For(ExperimentConfig cfg)
    {
        int n = cfg.Model.NumClasses;
        if (cfg.Data.ClassNames.Count == n) return cfg.Data.ClassNames;
        if (DatasetRegistry.Find(cfg.Data.Type)?.ClassNames is { Count: > 0 } names && names.Count == n) return names;
        return Enumerable.Range(0, n).Select(i => $"class_{i}").ToList();
    }
}
