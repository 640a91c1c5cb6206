using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// data.type folder, plain folders: images in root/images (any of .jpg .jpeg .png), masks of class indices in
/// root/masks matched by file stem. A part with a split file takes only the listed stems; without, every image.
/// </summary>
public sealed class FolderFormat : FileListFormat
{
    public static DatasetLayout Layout { get; } = new("images", "masks", [".jpg", ".jpeg", ".png"]);

    public override void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report) =>
        Layout.ListPart(fullRoot, part, items, report);

    public override ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage) =>
        new FolderDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, cfg.ReduceZeroLabel, DataReadOptions.Of(cfg), readImage);
}
