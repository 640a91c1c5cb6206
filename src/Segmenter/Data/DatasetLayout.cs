using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// The per-type defaults of a <see cref="PartConfig"/>. Unset (null) img_dir / ann_dir / img_suffix mean
/// voc: JPEGImages / SegmentationClass / .jpg; folder: images / masks / any of .jpg .jpeg .png.
/// </summary>
public static class DatasetLayout
{
    /// <summary>Image extensions a folder dataset accepts when img_suffix is unset (matched case-insensitively).</summary>
    public static readonly IReadOnlyList<string> FolderImageExtensions = [".jpg", ".jpeg", ".png"];

    public static string ImgDir(string type, PartConfig part) => part.ImgDir ?? (IsFolder(type) ? "images" : "JPEGImages");

    public static string AnnDir(string type, PartConfig part) => part.AnnDir ?? (IsFolder(type) ? "masks" : "SegmentationClass");

    /// <summary>The image suffixes to try for an id: the configured one, or the type's default(s).</summary>
    public static IReadOnlyList<string> ImgSuffixes(string type, PartConfig part) =>
        part.ImgSuffix is { } s ? [s] : IsFolder(type) ? FolderImageExtensions : [".jpg"];

    public static bool IsCityscapes(string type) => string.Equals(type, "cityscapes", StringComparison.OrdinalIgnoreCase);

    public static bool IsFolder(string type) => string.Equals(type, "folder", StringComparison.OrdinalIgnoreCase);

    /// <summary>A path from the config: absolute as written, otherwise relative to <paramref name="baseDir"/>.</summary>
    public static string Resolve(string baseDir, string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDir, path));
}
