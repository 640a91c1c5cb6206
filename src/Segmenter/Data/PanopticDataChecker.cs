using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// `segment data check` for the panoptic layouts (<see cref="PanopticFormat"/>): the json checks of
/// <see cref="PanopticConsistency"/> (ids, categories), every photo and PNG present and decodable with equal sizes,
/// every PNG segment listed and every listed segment present; counts pixels, images and instances (non-crowd thing
/// segments) per class. All problems are collected, none stops the check.
/// </summary>
public static class PanopticDataChecker
{
    public static DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads = 0) =>
        Check(DatasetRegistry.GetPanoptic(cfg.Type), cfg, numClasses, train, numThreads);

    public static DataCheckReport Check(PanopticFormat format, DataConfig cfg, int numClasses, bool train, int numThreads = 0)
    {
        var problems = new List<(int Order, DataProblem Problem)>();
        var parts = (train ? cfg.Train : cfg.Val).Parts;
        var read = DataReadOptions.Of(cfg);
        PanopticDataset? ds = null;
        try
        {
            ds = new PanopticDataset(format, cfg.Root, parts, cfg.IgnoreIndex, report: e => problems.Add((-1, new DataProblem(null, e.Message))),
                read: read);
        }
        catch (SegmenterException e) { problems.Add((-1, new DataProblem(null, e.Message))); }
        int classes = ds?.Classes?.NumClasses ?? numClasses;
        if (ds is not null && ds.Classes is not null && ds.Classes.NumClasses != numClasses)
            problems.Add((-1, new DataProblem(null, new SegmenterException(
                $"the json lists {ds.Classes.NumClasses} categories but model.num_classes is {numClasses}", ds.GroundTruthFiles[0].Json,
                $"set model.num_classes: {ds.Classes.NumClasses}").Message)));
        if (ds is not null && ds.Count == 0)
            problems.Add((-1, new DataProblem(null, new SegmenterException("the panoptic dataset is empty", ds.Root, "check data.root and the split names").Message)));

        var pixels = new long[classes];
        var images = new int[classes];
        var instances = new int[classes];
        long ignored = 0;
        int checkedCount = 0, visited = 0;
        var gate = new object();
        int n = ds?.Count ?? 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = numThreads > 0 ? numThreads : Math.Max(1, Environment.ProcessorCount) };
        Parallel.For(0, n, options, i =>
        {
            var item = ds!.Items[i];
            var found = new List<DataProblem>();
            RgbImage? image = null;
            PanopticIdMap? map = null;
            try { image = read.ReadRgb(item.ImagePath); }
            catch (Exception e) when (e is SegmenterException) { found.Add(new DataProblem(item.Id, $"unreadable image: {e.Message}")); }
            try { map = PanopticIdMap.ReadRgbPng(item.PanopticPath, read.MaxImagePixels); }
            catch (Exception e) when (e is SegmenterException) { found.Add(new DataProblem(item.Id, $"unreadable panoptic PNG: {e.Message}")); }
            var px = new long[classes];
            long ign = 0;
            bool ok = false;
            if (map is not null)
            {
                if (PanopticConsistency.CheckPng(map.Ids, item.Segments, item.Id, item.PanopticPath) is { } lie) found.Add(new DataProblem(item.Id, lie.Message));
                if (image is not null && (image.Width != map.Width || image.Height != map.Height))
                    found.Add(new DataProblem(item.Id, new SegmenterException($"panoptic PNG is {map.Width}x{map.Height} but the image {item.ImagePath} is {image.Width}x{image.Height}",
                        item.PanopticPath, "pair every image with the panoptic PNG of the same size").Message));
                var classOf = new Dictionary<int, int>();
                foreach (var s in item.Segments) classOf[s.Id] = ds.Classes.ClassOf(s.CategoryId);
                foreach (var id in map.Ids)
                    if (classOf.TryGetValue(id, out var c) && c >= 0) px[c]++; else ign++;
                ok = found.Count == 0;
            }
            lock (gate)
            {
                foreach (var p in found) problems.Add((i, p));
                Logging.ProgressReporting.Report(train ? "check train" : "check val", ++visited, n);
                if (ok) checkedCount++;
                if (map is null) return;
                for (int c = 0; c < classes; c++)
                {
                    pixels[c] += px[c];
                    if (px[c] > 0) images[c]++;
                }
                ignored += ign;
                foreach (var s in item.Segments)
                    if (ds.Classes.ClassOf(s.CategoryId) is int c && c >= 0 && ds.Classes.IsThing[c] && !s.IsCrowd) instances[c]++;
            }
        });
        return new DataCheckReport
        {
            Split = train ? "train" : "val",
            Root = Path.GetFullPath(cfg.Root),
            NumClasses = classes,
            Listed = n,
            Checked = checkedCount,
            Problems = problems.OrderBy(p => p.Order).Select(p => p.Problem).ToList(),
            PixelsPerClass = pixels,
            ImagesPerClass = images,
            InstancesPerClass = instances,
            IgnoredPixels = ignored,
        };
    }
}
