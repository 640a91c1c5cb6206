using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// data.type voc, the Pascal VOC 2012 devkit layout: ids from ImageSets/Segmentation/{train,val}.txt, images
/// JPEGImages/&lt;id&gt;.jpg, labels SegmentationClass/&lt;id&gt;.png (palette PNGs of class indices, 255 = border).
/// Parts are concatenated in order, as mmseg does for VOC train + SBD aug (SegmentationClassAug).
/// </summary>
public sealed class VocFormat : FileListFormat
{
    public static DatasetLayout Layout { get; } = new("JPEGImages", "SegmentationClass", [".jpg"]);

    public override void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report) =>
        Layout.ListPart(fullRoot, part, items, report);

    public override ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage) =>
        new VocDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, cfg.ReduceZeroLabel, DataReadOptions.Of(cfg), readImage);

    public override IReadOnlyList<string> ClassNames => Palettes.VocClassNames;

    /// <summary>The devkit colour map, all 256 entries: 255 = (224, 224, 192), the border colour, reads back as ignore.</summary>
    public override MaskPalette MaskPalette => new(Palettes.Voc(256), 256);
}
