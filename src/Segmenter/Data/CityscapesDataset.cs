using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// Cityscapes semantic segmentation (19 trainId classes, 255 ignore) in the official folder layout
/// (<see cref="CityscapesFormat"/>; <see cref="CityscapesListing"/> finds images and labels). data.root is the cityscapes folder.
/// </summary>
public sealed class CityscapesDataset : FileListDataset
{
    /// <param name="read">The config's data.max_image_pixels and data.allow_unknown_label_ids; null = their defaults.</param>
    public CityscapesDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses = 0, int ignoreIndex = 255, DataReadOptions? read = null)
        : this(root, parts, numClasses, ignoreIndex, read, null) { }

    /// <summary>One official split ("train", "val", "test") under <paramref name="root"/>.</summary>
    public CityscapesDataset(string root, string split, int numClasses = 0, DataReadOptions? read = null)
        : this(root, [new PartConfig { Split = split }], numClasses, read: read) { }

    internal CityscapesDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses, int ignoreIndex, DataReadOptions? read,
        Func<string, RgbImage>? readImage)
        : base(new CityscapesFormat(), root, parts, numClasses, ignoreIndex, false, read, readImage) { }
}
