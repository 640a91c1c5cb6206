using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// Turns a root and its parts into the list of (id, image, label) paths of a <see cref="FileListFormat"/>, checking
/// that every file exists.
/// Each problem goes to <c>report</c>: datasets throw it (fail fast), the data checker collects them all.
/// </summary>
internal static class DatasetListing
{
    public const string MissingRootFix = "run `segment data synth --format voc --out data/synth_voc` or set data.root";

    public static List<DatasetItem> List(FileListFormat format, string root, IReadOnlyList<PartConfig> parts, Action<SegmenterException> report)
    {
        var items = new List<DatasetItem>();
        var fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            report(new SegmenterException($"dataset root {fullRoot} not found", "data.root", MissingRootFix));
            return items;
        }
        if (parts.Count == 0)
        {
            report(new SegmenterException("the split has no parts", "data.train/val.parts", "list at least one part (img_dir, ann_dir, split)"));
            return items;
        }
        foreach (var part in parts) format.ListPart(fullRoot, part, items, report);
        return items;
    }

    /// <summary>The ids of a split file, each with its image (the first of <paramref name="suffixes"/> that exists) and label.</summary>
    public static bool FromSplitFile(string splitPath, string imgDir, string annDir, IReadOnlyList<string> suffixes, string segSuffix,
        List<DatasetItem> items, Action<SegmenterException> report)
    {
        if (!File.Exists(splitPath))
        {
            report(new SegmenterException("split file not found", splitPath,
                "check the part's split (relative to data.root), or set split: null to use every image in img_dir"));
            return false;
        }
        var lines = File.ReadAllLines(splitPath);
        int found = 0;
        for (int n = 0; n < lines.Length; n++)
        {
            var id = lines[n].Trim();
            if (id.Length == 0) continue;
            found++;
            var where = $"{splitPath}:{n + 1}";
            var image = suffixes.Select(s => Path.Combine(imgDir, id + s)).FirstOrDefault(File.Exists);
            if (image is null)
            {
                report(new SegmenterException($"image for id '{id}' not found ({Path.Combine(imgDir, id + suffixes[0])})", where,
                    "add the image or remove the id from the split file"));
                continue;
            }
            var label = Path.Combine(annDir, id + segSuffix);
            if (!File.Exists(label))
            {
                report(new SegmenterException($"label for id '{id}' not found ({label})", where,
                    "add the label or remove the id from the split file"));
                continue;
            }
            items.Add(new DatasetItem(id, image, label));
        }
        if (found == 0)
        {
            report(new SegmenterException("split file lists no ids", splitPath, "write one image id per line"));
            return false;
        }
        return true;
    }

    /// <summary>Every image of <paramref name="imgDir"/> with one of <paramref name="suffixes"/>, each with the label of the same stem.</summary>
    public static bool FromFolder(string imgDir, string annDir, IReadOnlyList<string> suffixes, string segSuffix,
        List<DatasetItem> items, Action<SegmenterException> report)
    {
        if (!Directory.Exists(imgDir))
        {
            report(new SegmenterException("image folder not found", imgDir, "check data.root and the part's img_dir"));
            return false;
        }
        var images = Directory.EnumerateFiles(imgDir)
            .Where(f => suffixes.Any(s => f.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (images.Count == 0)
        {
            report(new SegmenterException($"no images ({string.Join(" ", suffixes)}) in the image folder", imgDir,
                "put the images there or point img_dir at them"));
            return false;
        }
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in images)
        {
            var name = Path.GetFileName(image);
            var suffix = suffixes.First(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));
            var id = name[..^suffix.Length];
            if (seen.TryGetValue(id, out var other))
            {
                report(new SegmenterException($"two images share the stem '{id}' ({Path.GetFileName(other)}, {name})", imgDir,
                    "rename or remove one of them; masks are matched by file stem"));
                continue;
            }
            seen[id] = image;
            var label = Path.Combine(annDir, id + segSuffix);
            if (!File.Exists(label))
            {
                report(new SegmenterException($"no label for image {name} (expected {label})", image,
                    "add the mask (same stem, in ann_dir) or remove the image"));
                continue;
            }
            items.Add(new DatasetItem(id, image, label));
        }
        return true;
    }
}
