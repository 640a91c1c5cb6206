using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// Cityscapes semantic segmentation (19 trainId classes, 255 ignore) in the official folder layout
/// (<see cref="CityscapesFormat"/>; <see cref="CityscapesListing"/> finds images and labels). data.root is the cityscapes folder.
/// </summary>
public sealed class CityscapesDataset : FileListDataset
{
    public CityscapesDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses = 0, int ignoreIndex = 255)
        : this(root, parts, numClasses, ignoreIndex, null) { }

    /// <summary>One official split ("train", "val", "test") under <paramref name="root"/>.</summary>
    public CityscapesDataset(string root, string split, int numClasses = 0) : this(root, [new PartConfig { Split = split }], numClasses) { }

    internal CityscapesDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses, int ignoreIndex, Func<string, RgbImage>? readImage)
        : base(new CityscapesFormat(), root, parts, numClasses, ignoreIndex, false, readImage) { }
}
