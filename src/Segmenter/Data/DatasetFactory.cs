using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>Builds the dataset a config describes (data.type voc | folder | cityscapes | coco_panoptic | cityscapes_panoptic; panoptic sets give their semantic view), train or val split.</summary>
public static class DatasetFactory
{
    /// <param name="numClasses">When &gt; 0, every loaded label is checked against it (model.num_classes).</param>
    public static ISegmentationDataset Create(DataConfig cfg, bool train, int numClasses = 0) => Create(cfg, train, numClasses, null);

    /// <summary>The configured split as a <see cref="PanopticDataset"/> (data.type coco_panoptic or cityscapes_panoptic), for panoptic models.</summary>
    public static PanopticDataset CreatePanoptic(Config.ExperimentConfig cfg, bool train) =>
        Create(cfg.Data, train) as PanopticDataset
            ?? throw new SegmenterException($"data.type '{cfg.Data.Type}' has no panoptic ground truth", "data.type",
                $"use coco_panoptic or cityscapes_panoptic for model.type {cfg.Model.Type}");

    internal static ISegmentationDataset Create(DataConfig cfg, bool train, int numClasses, Func<string, RgbImage>? readImage)
    {
        var parts = (train ? cfg.Train : cfg.Val).Parts;
        if (cfg.IgnoreIndex is < 0 or > 255)
            throw new SegmenterException($"ignore_index {cfg.IgnoreIndex} is outside 0..255", "data.ignore_index", "labels are 8-bit; use 255");
        var read = DataReadOptions.Of(cfg); // the config's pixel limit and labelId policy travel with the dataset
        return cfg.Type.ToLowerInvariant() switch
        {
            "voc" => new VocDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, cfg.ReduceZeroLabel, read, readImage),
            "folder" => new FolderDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, cfg.ReduceZeroLabel, read, readImage),
            "cityscapes" => new CityscapesDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, read, readImage),
            "coco_panoptic" or "cityscapes_panoptic" => new PanopticDataset(cfg.Type.ToLowerInvariant(), cfg.Root, parts, cfg.IgnoreIndex, readImage, read: read),
            _ => throw new SegmenterException($"unknown dataset type '{cfg.Type}'", "data.type", "use voc, folder, cityscapes, coco_panoptic or cityscapes_panoptic"),
        };
    }
}
