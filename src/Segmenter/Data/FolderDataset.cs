using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A dataset of plain folders (<see cref="FolderFormat"/>): images in root/img_dir (default "images", any of .jpg .jpeg
/// .png), masks in root/ann_dir (default "masks") matched by file stem.
/// </summary>
public sealed class FolderDataset : FileListDataset
{
    /// <param name="read">The config's data.max_image_pixels and data.allow_unknown_label_ids; null = their defaults.</param>
    public FolderDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses = 0, int ignoreIndex = 255, bool reduceZeroLabel = false,
        DataReadOptions? read = null)
        : this(root, parts, numClasses, ignoreIndex, reduceZeroLabel, read, null) { }

    /// <summary>One part, every image of root/images with its mask in root/masks.</summary>
    public FolderDataset(string root, int numClasses = 0) : this(root, [new PartConfig()], numClasses) { }

    internal FolderDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses, int ignoreIndex, bool reduceZeroLabel,
        DataReadOptions? read, Func<string, RgbImage>? readImage)
        : base(new FolderFormat(), root, parts, numClasses, ignoreIndex, reduceZeroLabel, read, readImage) { }
}
