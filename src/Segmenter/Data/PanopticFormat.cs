using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A format in the COCO panoptic layout (panopticapi): per split a json (images, annotations with segments_info,
/// categories with isthing), a folder of RGB id PNGs named like the json without .json, and the photos. A subclass
/// says where a split's folders are and how an annotation finds its photo; opening (<see cref="PanopticDataset"/>) and
/// checking (<see cref="PanopticDataChecker"/>) are the same for every such format. Its ground truth is what
/// panoptic models train on (<see cref="DatasetFactory.CreatePanoptic"/>).
/// </summary>
public abstract class PanopticFormat : DatasetFormat
{
    /// <summary>The PNG folder of split <paramref name="split"/> relative to data.root (ann_dir overrides it); the json is this path + ".json".</summary>
    public abstract string PngDir(string split);

    /// <summary>The photo folder of split <paramref name="split"/> relative to data.root (img_dir overrides it).</summary>
    public abstract string ImgDir(string split);

    /// <summary>The photo of annotation <paramref name="imageId"/>; <paramref name="fileNames"/> is the json's images[].id → file_name.</summary>
    public abstract string ImagePath(string imgDir, string imageId, IReadOnlyDictionary<string, string> fileNames, string json);

    /// <summary>The fix for a part without a split, naming the official split names.</summary>
    public abstract string SplitHint { get; }

    /// <summary>The semantic view of the ground truth (class index per pixel), so semantic models and mIoU work on it too.</summary>
    public override ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage) =>
        new PanopticDataset(this, cfg.Root, parts, cfg.IgnoreIndex, readImage, read: DataReadOptions.Of(cfg));

    public override DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads, Func<string, RgbImage>? readImage) =>
        PanopticDataChecker.Check(this, cfg, numClasses, train, numThreads);
}
