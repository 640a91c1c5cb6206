using Segmenter.Config;

namespace Segmenter.Benchmarks;

/// <summary>The backbone-attention variants `segment bench --compare-attention` runs side by side.</summary>
public static class AttentionVariants
{
    /// <summary>The config with the backbone attention of one bench variant (none, psa-parallel, psa-sequential).</summary>
    public static ExperimentConfig Config(string path, IReadOnlyList<string> overrides, string variant)
    {
        var (type, layout) = variant switch
        {
            "none" => ("none", "parallel"),
            "psa-parallel" => ("psa", "parallel"),
            "psa-sequential" => ("psa", "sequential"),
            _ => throw new SegmenterException($"unknown attention variant '{variant}'", "--compare-attention", "use none, psa-parallel, psa-sequential"),
        };
        return ConfigLoader.Load(path, [.. overrides, $"model.backbone.attention.type={type}", $"model.backbone.attention.layout={layout}"]);
    }
}
