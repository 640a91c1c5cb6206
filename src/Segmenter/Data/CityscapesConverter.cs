using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// `segment data convert cityscapes`: writes <c>*_gtFine_labelTrainIds.png</c> next to every
/// <c>*_gtFine_labelIds.png</c> under <c>root/gtFine</c>, as cityscapesScripts' createTrainIdLabelImgs does.
/// The official script rasterises polygons.json with the trainId encoding; we map the already rasterised labelIds
/// pixel by pixel instead. Both draw the same polygons in the same order and skip the same ones (negative ids, i.e.
/// license plates), so the result is identical (checked against the official output in the tests).
/// </summary>
public static class CityscapesConverter
{
    public sealed record Result(int Written, int Skipped, string GtFineDir);

    /// <param name="root">The cityscapes folder (holding gtFine/).</param>
    /// <param name="overwrite">Rewrite existing labelTrainIds files (otherwise they are kept and counted as skipped).</param>
    /// <param name="read">Pixel limit and unknown-labelId policy the labelIds files are read with; null = the config defaults
    /// (an id outside the official table stops the conversion, as createTrainIdLabelImgs does).</param>
    public static Result Convert(string root, bool overwrite = true, Action<string>? onWrite = null, DataReadOptions? read = null)
    {
        read ??= DataReadOptions.Default;
        var gtFine = Path.GetFullPath(Path.Combine(root, "gtFine"));
        if (!Directory.Exists(gtFine))
            throw new SegmenterException($"no gtFine folder in {Path.GetFullPath(root)}", "--root",
                "pass the cityscapes folder that holds gtFine/ and leftImg8bit/");
        var sources = Directory.EnumerateFiles(gtFine, "*" + CityscapesListing.LabelIdsSuffix, SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToList();
        if (sources.Count == 0)
            throw new SegmenterException($"no *{CityscapesListing.LabelIdsSuffix} files under {gtFine}", "--root",
                "download gtFine_trainvaltest.zip and unpack it into the cityscapes folder");
        int written = 0, skipped = 0;
        foreach (var src in sources)
        {
            var dst = src[..^CityscapesListing.LabelIdsSuffix.Length] + CityscapesListing.TrainIdsSuffix;
            if (!overwrite && File.Exists(dst)) { skipped++; continue; }
            var labelIds = ImageIO.ReadLabel(src, read.MaxImagePixels);
            ImageIO.WriteLabelPng(dst, CityscapesLabelPolicy.ToTrainIds(labelIds, src, read.AllowUnknownLabelIds));
            onWrite?.Invoke(dst);
            written++;
        }
        return new Result(written, skipped, gtFine);
    }
}
