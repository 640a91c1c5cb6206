using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// `segment data check`: visits every item of a split, decodes image and label, and collects every problem
/// (missing files, unreadable images, colour masks, size mismatches, label values outside the classes) instead of
/// stopping at the first; also counts pixels and images per class.
/// </summary>
public static class DataChecker
{
    public static DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads = 0) =>
        Check(cfg, numClasses, train, numThreads, null);

    internal static DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads, Func<string, RgbImage>? readImage)
    {
        if (numClasses <= 0 || numClasses > 256)
            throw new SegmenterException($"num_classes {numClasses} must be in 1..256", "model.num_classes", "set the number of classes");
        return DatasetRegistry.Get(cfg.Type).Check(cfg, numClasses, train, numThreads, readImage);
    }

    /// <summary>The check of a <see cref="FileListFormat"/>: its listing, then every image and label decoded.</summary>
    internal static DataCheckReport CheckFileList(FileListFormat format, DataConfig cfg, int numClasses, bool train, int numThreads,
        Func<string, RgbImage>? readImage)
    {
        var read = DataReadOptions.Of(cfg);
        readImage ??= read.ReadRgb;
        var problems = new List<(int Order, DataProblem Problem)>();
        var listing = DatasetListing.List(format, cfg.Root, (train ? cfg.Train : cfg.Val).Parts,
            e => problems.Add((-1, new DataProblem(null, e.Message))));
        if (listing.Count == 0 && problems.Count == 0)
            problems.Add((-1, new DataProblem(null, new SegmenterException("the dataset is empty", Path.GetFullPath(cfg.Root), "check the split files and image folders").Message)));

        var pixels = new long[numClasses];
        var images = new int[numClasses];
        long ignored = 0, invalid = 0;
        int checkedCount = 0, visited = 0;
        var gate = new object();
        var options = new ParallelOptions { MaxDegreeOfParallelism = numThreads > 0 ? numThreads : Math.Max(1, Environment.ProcessorCount) };
        Parallel.For(0, listing.Count, options, i =>
        {
            var item = listing[i];
            var found = new List<DataProblem>();
            RgbImage? image = null; LabelMap? label = null;
            try { image = readImage(item.ImagePath); }
            catch (Exception e) { found.Add(new DataProblem(item.Id, $"unreadable image: {e.Message}")); }
            try { label = item.ReadLabel(read); }
            catch (Exception e) { found.Add(new DataProblem(item.Id, $"unreadable label: {e.Message}")); }
            var counts = new long[256];
            bool ok = false;
            if (label is not null)
            {
                if (cfg.ReduceZeroLabel) label = DataValidation.ReduceZeroLabel(label);
                foreach (var v in label.Data) counts[v]++;
                int bad = DataValidation.MaxBadValue(label, numClasses, cfg.IgnoreIndex);
                if (bad >= 0)
                {
                    long n = 0;
                    for (int v = numClasses; v < 256; v++) if (v != cfg.IgnoreIndex) n += counts[v];
                    found.Add(new DataProblem(item.Id,
                        $"label value {bad} >= num_classes {numClasses} in {item.LabelPath} ({n} pixels) (fix: {DataValidation.LabelValueFix})"));
                }
                if (image is not null)
                {
                    try { DataValidation.ValidateSameSize(image, label, item.ImagePath, item.LabelPath); ok = true; }
                    catch (SegmenterException e) { found.Add(new DataProblem(item.Id, e.Message)); }
                }
            }
            lock (gate)
            {
                foreach (var p in found) problems.Add((i, p));
                Logging.ProgressReporting.Report(train ? "check train" : "check val", ++visited, listing.Count);
                if (ok) checkedCount++;
                if (label is null) return;
                for (int c = 0; c < numClasses; c++)
                {
                    pixels[c] += counts[c];
                    if (counts[c] > 0) images[c]++;
                }
                for (int v = numClasses; v < 256; v++)
                {
                    if (v == cfg.IgnoreIndex) ignored += counts[v];
                    else invalid += counts[v];
                }
            }
        });
        return new DataCheckReport
        {
            Split = train ? "train" : "val",
            Root = Path.GetFullPath(cfg.Root),
            NumClasses = numClasses,
            Listed = listing.Count,
            Checked = checkedCount,
            Problems = problems.OrderBy(p => p.Order).Select(p => p.Problem).ToList(),
            PixelsPerClass = pixels,
            ImagesPerClass = images,
            IgnoredPixels = ignored,
            InvalidPixels = invalid,
        };
    }
}
