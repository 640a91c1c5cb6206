using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// Lists a Cityscapes split in the official layout (REFERENCE 10.2):
/// <c>leftImg8bit/&lt;split&gt;/&lt;city&gt;/&lt;stem&gt;_leftImg8bit.png</c> with its label
/// <c>gtFine/&lt;split&gt;/&lt;city&gt;/&lt;stem&gt;_gtFine_labelTrainIds.png</c> (read as is, like mmseg). When that file has not
/// been generated, <c>&lt;stem&gt;_gtFine_labelIds.png</c> is used instead and mapped labelId → trainId on load.
/// A part's <c>split</c> is the split name; img_dir / ann_dir / img_suffix / seg_suffix override the defaults
/// (seg_suffix .png, the config default, stands for _gtFine_labelTrainIds.png).
/// </summary>
internal static class CityscapesListing
{
    public const string ImgSuffix = "_leftImg8bit.png";
    public const string TrainIdsSuffix = "_gtFine_labelTrainIds.png";
    public const string LabelIdsSuffix = "_gtFine_labelIds.png";

    public static void List(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report)
    {
        if (part.Split is not { Length: > 0 } split)
        {
            report(new SegmenterException("a cityscapes part has no split", "data.train/val.parts.split", "set split to train, val or test"));
            return;
        }
        var imgDir = DatasetLayout.Resolve(fullRoot, part.ImgDir ?? Path.Combine("leftImg8bit", split));
        var annDir = DatasetLayout.Resolve(fullRoot, part.AnnDir ?? Path.Combine("gtFine", split));
        var imgSuffix = part.ImgSuffix ?? ImgSuffix;
        var segSuffix = part.SegSuffix == ".png" ? TrainIdsSuffix : part.SegSuffix;
        if (!Directory.Exists(imgDir))
        {
            report(new SegmenterException($"Cityscapes image folder not found ({imgDir})", "data.root",
                "point data.root at the folder holding leftImg8bit/ and gtFine/ (or run `segment data synth --format cityscapes --out data/synth_cityscapes`)"));
            return;
        }
        var images = Directory.EnumerateFiles(imgDir, "*" + imgSuffix, SearchOption.AllDirectories)
            .Select(f => (File: f, Rel: Path.GetRelativePath(imgDir, f).Replace('\\', '/')))
            .OrderBy(f => f.Rel, StringComparer.Ordinal)
            .ToList();
        if (images.Count == 0)
        {
            report(new SegmenterException($"no *{imgSuffix} images under {imgDir}", "data.root", "check data.root and the part's split"));
            return;
        }
        foreach (var (file, rel) in images)
        {
            var relDir = Path.GetDirectoryName(rel) ?? "";
            var stem = Path.GetFileName(rel)[..^imgSuffix.Length];
            var label = Path.Combine(annDir, relDir, stem + segSuffix);
            var encoding = segSuffix.EndsWith("_labelIds.png", StringComparison.Ordinal) ? LabelEncoding.CityscapesLabelIds : LabelEncoding.Index;
            if (!File.Exists(label) && segSuffix.EndsWith("_labelTrainIds.png", StringComparison.Ordinal))
            {
                var labelIds = Path.Combine(annDir, relDir, stem + segSuffix[..^"_labelTrainIds.png".Length] + "_labelIds.png");
                if (File.Exists(labelIds)) (label, encoding) = (labelIds, LabelEncoding.CityscapesLabelIds);
            }
            if (!File.Exists(label))
            {
                report(new SegmenterException($"no label for {Path.GetFileName(file)} (expected {label} or its _gtFine_labelIds.png)", file,
                    "copy the gtFine folder next to leftImg8bit, or run `segment data convert cityscapes --root <cityscapes>`"));
                continue;
            }
            items.Add(new DatasetItem(stem, file, label, encoding));
        }
    }
}
