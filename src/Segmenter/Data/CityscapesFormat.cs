using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// data.type cityscapes: semantic segmentation with the 19 evaluation classes (trainIds, 255 ignore) in the official
/// leftImg8bit/ + gtFine/ layout (cityscapesScripts; listed by <see cref="CityscapesListing"/>); a part's split is the
/// split folder name (train, val, test).
/// </summary>
public sealed class CityscapesFormat : FileListFormat
{
    public override void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report) =>
        CityscapesListing.List(fullRoot, part, items, report);

    /// <summary>A <see cref="CityscapesDataset"/>: trainId labels are read as they are, so reduce_zero_label does not apply.</summary>
    public override ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage) =>
        new CityscapesDataset(cfg.Root, parts, numClasses, cfg.IgnoreIndex, DataReadOptions.Of(cfg), readImage);

    public override IReadOnlyList<string> ClassNames => Palettes.CityscapesClassNames;

    public override IReadOnlyList<(byte R, byte G, byte B)> Colours => Palettes.Cityscapes();

    /// <summary>The 19 trainId colours, then black (unlabelled) as 255 = ignore; the indices in between match no colour.</summary>
    public override MaskPalette MaskPalette
    {
        get
        {
            var cs = Palettes.Cityscapes();
            var colours = new (byte R, byte G, byte B)[256];
            cs.CopyTo(colours, 0);
            return new MaskPalette(colours, cs.Length, (0, 0, 0));
        }
    }
}
