using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// A folder layout of (image, label) pairs: images in root/img_dir, labels in root/ann_dir with the same stem plus
/// seg_suffix. This record holds a format's defaults for a part's unset (null) img_dir / ann_dir / img_suffix. A part
/// with a split file takes the ids it lists (one per line, relative to data.root); without one, every image in img_dir.
/// </summary>
/// <param name="ImgSuffixes">Image suffixes tried in order when img_suffix is unset (matched case-insensitively in a folder).</param>
public sealed record DatasetLayout(string ImgDir, string AnnDir, IReadOnlyList<string> ImgSuffixes)
{
    public string ImgDirOf(PartConfig part) => part.ImgDir ?? ImgDir;

    public string AnnDirOf(PartConfig part) => part.AnnDir ?? AnnDir;

    /// <summary>The image suffixes to try for an id: the configured one, or the layout's default(s).</summary>
    public IReadOnlyList<string> ImgSuffixesOf(PartConfig part) => part.ImgSuffix is { } s ? [s] : ImgSuffixes;

    /// <summary>Adds the items of one part (see <see cref="FileListFormat.ListPart"/>).</summary>
    public void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report)
    {
        var imgDir = Resolve(fullRoot, ImgDirOf(part));
        var annDir = Resolve(fullRoot, AnnDirOf(part));
        var suffixes = ImgSuffixesOf(part);
        if (part.Split is { } split) DatasetListing.FromSplitFile(Resolve(fullRoot, split), imgDir, annDir, suffixes, part.SegSuffix, items, report);
        else DatasetListing.FromFolder(imgDir, annDir, suffixes, part.SegSuffix, items, report);
    }

    /// <summary>A path from the config: absolute as written, otherwise relative to <paramref name="baseDir"/>.</summary>
    public static string Resolve(string baseDir, string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDir, path));
}
