using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>Builds the dataset a config describes (data.type, a format of <see cref="DatasetRegistry"/>; panoptic sets give their semantic view), train or val split.</summary>
public static class DatasetFactory
{
    /// <param name="numClasses">When &gt; 0, every loaded label is checked against it (model.num_classes).</param>
    public static ISegmentationDataset Create(DataConfig cfg, bool train, int numClasses = 0) => Create(cfg, train, numClasses, null);

    /// <summary>The configured split as a <see cref="PanopticDataset"/> (data.type a <see cref="PanopticFormat"/>), for panoptic models.</summary>
    public static PanopticDataset CreatePanoptic(Config.ExperimentConfig cfg, bool train) =>
        Create(cfg.Data, train) as PanopticDataset
            ?? throw new SegmenterException($"data.type '{cfg.Data.Type}' has no panoptic ground truth", "data.type",
                $"use one of {string.Join(", ", DatasetRegistry.NamesOf<PanopticFormat>())} for model.type {cfg.Model.Type}");

    internal static ISegmentationDataset Create(DataConfig cfg, bool train, int numClasses, Func<string, RgbImage>? readImage)
    {
        if (cfg.IgnoreIndex is < 0 or > 255)
            throw new SegmenterException($"ignore_index {cfg.IgnoreIndex} is outside 0..255", "data.ignore_index", "labels are 8-bit; use 255");
        return DatasetRegistry.Get(cfg.Type).Open(cfg, (train ? cfg.Train : cfg.Val).Parts, numClasses, readImage);
    }
}
