using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A dataset in the Pascal VOC layout (<see cref="VocFormat"/>): for each part, ids from the split file (relative to
/// the root), image root/img_dir/id+img_suffix, label root/ann_dir/id+seg_suffix.
/// </summary>
public sealed class VocDataset : FileListDataset
{
    /// <param name="read">The config's data.max_image_pixels and data.allow_unknown_label_ids; null = their defaults.</param>
    public VocDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses = 0, int ignoreIndex = 255, bool reduceZeroLabel = false,
        DataReadOptions? read = null)
        : this(root, parts, numClasses, ignoreIndex, reduceZeroLabel, read, null) { }

    /// <summary>With an image decoder other than <see cref="ImageIO.ReadRgb"/> (tests).</summary>
    internal VocDataset(string root, IReadOnlyList<PartConfig> parts, int numClasses, int ignoreIndex, bool reduceZeroLabel,
        DataReadOptions? read, Func<string, RgbImage>? readImage)
        : base(new VocFormat(), root, parts, numClasses, ignoreIndex, reduceZeroLabel, read, readImage) { }
}
