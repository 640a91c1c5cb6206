namespace Segmenter.Evaluation;

/// <summary>
/// Panoptic quality accumulated image by image exactly as panopticapi's pq_compute_single_core: a joint
/// (gt id, pred id) histogram, matching of same-category non-crowd pairs at IoU &gt; 0.5 where the union leaves out
/// the prediction's pixels on VOID, FN for unmatched GT, FP for unmatched predictions unless more than half of them
/// lies on VOID or on the crowd region of their category. GT areas come from the json, predicted areas from the PNG.
/// </summary>
public sealed class PanopticQuality
{
    /// <summary>Segment id 0 is VOID (unlabelled in GT, "no segment" in the prediction).</summary>
    public const int Void = 0;

    private readonly Dictionary<int, PanopticCounts> _totals = new();
    private readonly List<PanopticImageStats> _images = new();

    public PanopticQuality(IReadOnlyList<PanopticCategory> categories)
    {
        var byId = new Dictionary<int, PanopticCategory>();
        foreach (var c in categories)
            if (!byId.TryAdd(c.Id, c))
                throw new SegmenterException($"category id {c.Id} is listed twice", "categories", "give every category a unique id");
        Categories = categories;
        CategoryById = byId;
    }

    public IReadOnlyList<PanopticCategory> Categories { get; }
    public IReadOnlyDictionary<int, PanopticCategory> CategoryById { get; }

    /// <summary>What each image contributed, in the order they were added.</summary>
    public IReadOnlyList<PanopticImageStats> Images => _images;

    /// <summary>
    /// Adds one image. <paramref name="source"/> (e.g. the prediction PNG path) names the image in errors: a prediction
    /// id in the PNG but not in <paramref name="predSegments"/> or the reverse, an unknown category, a size mismatch.
    /// </summary>
    public PanopticImageStats Update(string imageId, PanopticIdMap gt, IReadOnlyList<PanopticSegment> gtSegments,
        PanopticIdMap pred, IReadOnlyList<PanopticSegment> predSegments, string? source = null)
    {
        string where = source ?? $"image {imageId}";
        if (gt.Width != pred.Width || gt.Height != pred.Height)
            throw new SegmenterException($"image {imageId}: prediction is {pred.Width}x{pred.Height} but the ground truth is {gt.Width}x{gt.Height}",
                where, "write panoptic predictions at the ground-truth resolution");

        var gtSegs = IndexSegments(gtSegments, imageId, "ground-truth", where);
        var predSegs = IndexSegments(predSegments, imageId, "prediction", where);
        foreach (var s in gtSegs.Values)
        {
            if (!CategoryById.ContainsKey(s.CategoryId))
                throw new SegmenterException($"image {imageId}: ground-truth segment {s.Id} has unknown category_id {s.CategoryId}", where,
                    "use category ids listed in the ground-truth json 'categories'");
            if (s.Area is null)
                throw new SegmenterException($"image {imageId}: ground-truth segment {s.Id} has no 'area'", where,
                    "write the pixel count of every ground-truth segment in segments_info 'area'");
        }

        // Joint histogram of (gt id, pred id), keyed gt * 2^24 + pred (panopticapi's OFFSET 256^3); runs of equal pairs are counted in one step.
        var joint = new Dictionary<long, long>();
        var predArea = new Dictionary<int, long>();
        var g = gt.Ids; var p = pred.Ids;
        int n = g.Length;
        for (int i = 0; i < n;)
        {
            int gi = g[i], pi = p[i], j = i + 1;
            while (j < n && g[j] == gi && p[j] == pi) j++;
            long run = j - i;
            long key = ((long)gi << 24) + pi;
            joint[key] = joint.GetValueOrDefault(key) + run;
            predArea[pi] = predArea.GetValueOrDefault(pi) + run;
            i = j;
        }

        // Prediction sanity checks, in ascending id order like np.unique.
        var unseen = new HashSet<int>(predSegs.Keys);
        foreach (var id in predArea.Keys.Order())
        {
            if (!predSegs.TryGetValue(id, out var seg))
            {
                if (id == Void) continue;
                throw new SegmenterException($"image {imageId}: segment id {id} is in the prediction PNG but not in its segments_info", where,
                    "list every non-zero id of the PNG in the prediction json (id = R + 256*G + 256^2*B)");
            }
            unseen.Remove(id);
            if (!CategoryById.ContainsKey(seg.CategoryId))
                throw new SegmenterException($"image {imageId}: predicted segment {id} has unknown category_id {seg.CategoryId}", where,
                    "use category ids listed in the ground-truth json 'categories'");
        }
        if (unseen.Count > 0)
            throw new SegmenterException(
                $"image {imageId}: segment ids [{string.Join(", ", unseen.Order())}] are in the prediction segments_info but not in its PNG", where,
                "drop empty segments from the json or check the PNG's RGB id encoding");

        var stats = new Dictionary<int, PanopticCounts>();
        PanopticCounts At(int category)
        {
            if (!stats.TryGetValue(category, out var c)) stats[category] = c = new PanopticCounts();
            return c;
        }

        // Matching (IoU > 0.5 is unique, so no assignment step is needed).
        var gtMatched = new HashSet<int>();
        var predMatched = new HashSet<int>();
        foreach (var key in joint.Keys.Order())
        {
            long intersection = joint[key];
            int gtId = (int)(key >> 24), predId = (int)(key & 0xFFFFFF);
            if (!gtSegs.TryGetValue(gtId, out var gs)) continue;
            if (!predSegs.TryGetValue(predId, out var ps)) continue;
            if (gs.IsCrowd) continue;
            if (gs.CategoryId != ps.CategoryId) continue;
            // GT area is the json value (a float there stays a float, as in Python).
            double union = predArea[predId] + gs.Area!.Value - intersection - joint.GetValueOrDefault(((long)Void << 24) + predId);
            double iou = intersection / union;
            if (iou > 0.5)
            {
                var c = At(gs.CategoryId);
                c.Tp++;
                c.IouSum += iou;
                gtMatched.Add(gtId);
                predMatched.Add(predId);
            }
        }

        // False negatives; crowd regions are remembered per category (a later one replaces an earlier one).
        var crowdByCategory = new Dictionary<int, int>();
        foreach (var gs in gtSegs.Values)
        {
            if (gtMatched.Contains(gs.Id)) continue;
            if (gs.IsCrowd) { crowdByCategory[gs.CategoryId] = gs.Id; continue; }
            At(gs.CategoryId).Fn++;
        }

        // False positives, unless mostly on VOID or on the crowd region of the same category.
        foreach (var ps in predSegs.Values)
        {
            if (predMatched.Contains(ps.Id)) continue;
            long ignored = joint.GetValueOrDefault(((long)Void << 24) + ps.Id);
            if (crowdByCategory.TryGetValue(ps.CategoryId, out var crowdId))
                ignored += joint.GetValueOrDefault(((long)crowdId << 24) + ps.Id);
            if ((double)ignored / predArea[ps.Id] > 0.5) continue;
            At(ps.CategoryId).Fp++;
        }

        foreach (var (cat, c) in stats)
        {
            if (!_totals.TryGetValue(cat, out var t)) _totals[cat] = t = new PanopticCounts();
            t.Add(c);
        }
        var image = new PanopticImageStats(imageId, stats);
        _images.Add(image);
        return image;
    }

    /// <summary>Merges another accumulator over the same categories (e.g. from another worker).</summary>
    public void Add(PanopticQuality other)
    {
        foreach (var (cat, c) in other._totals)
        {
            if (!_totals.TryGetValue(cat, out var t)) _totals[cat] = t = new PanopticCounts();
            t.Add(c);
        }
        _images.AddRange(other._images);
    }

    /// <summary>The totals as one vector, four numbers (TP, FP, FN, Σ IoU) per category in <see cref="Categories"/> order, for summing over processes.</summary>
    public double[] PackTotals()
    {
        var packed = new double[4 * Categories.Count];
        for (int k = 0; k < Categories.Count; k++)
            if (_totals.TryGetValue(Categories[k].Id, out var c))
                (packed[4 * k], packed[4 * k + 1], packed[4 * k + 2], packed[4 * k + 3]) = (c.Tp, c.Fp, c.Fn, c.IouSum);
        return packed;
    }

    /// <summary>Replaces the totals by a (summed) <see cref="PackTotals"/> vector.</summary>
    public void SetTotals(double[] packed)
    {
        _totals.Clear();
        for (int k = 0; k < Categories.Count; k++)
            _totals[Categories[k].Id] = new PanopticCounts
            {
                Tp = (long)packed[4 * k], Fp = (long)packed[4 * k + 1], Fn = (long)packed[4 * k + 2], IouSum = packed[4 * k + 3],
            };
    }

    /// <summary>Per-category PQ/SQ/RQ and the All / Things / Stuff means, as panopticapi's pq_average.</summary>
    public PanopticResult Compute()
    {
        var perCategory = new List<PanopticCategoryResult>(Categories.Count);
        foreach (var cat in Categories)
        {
            var c = _totals.GetValueOrDefault(cat.Id) ?? new PanopticCounts();
            bool counted = c.Tp + c.Fp + c.Fn > 0;
            double pq = 0, sq = 0, rq = 0;
            if (counted)
            {
                double denom = c.Tp + 0.5 * c.Fp + 0.5 * c.Fn;
                pq = c.IouSum / denom;
                sq = c.Tp != 0 ? c.IouSum / c.Tp : 0;
                rq = c.Tp / denom;
            }
            perCategory.Add(new PanopticCategoryResult(cat, c.Tp, c.Fp, c.Fn, c.IouSum, pq, sq, rq, counted));
        }
        return new PanopticResult(perCategory, Average(perCategory, null), Average(perCategory, true), Average(perCategory, false), _images.ToList());
    }

    private static PanopticSummary Average(IEnumerable<PanopticCategoryResult> perCategory, bool? isThing)
    {
        double pq = 0, sq = 0, rq = 0; int n = 0;
        foreach (var r in perCategory)
        {
            if (isThing is { } t && r.Category.IsThing != t) continue;
            if (!r.CountedInMean) continue;
            n++; pq += r.Pq; sq += r.Sq; rq += r.Rq;
        }
        return n == 0 ? new PanopticSummary(double.NaN, double.NaN, double.NaN, 0) : new PanopticSummary(pq / n, sq / n, rq / n, n);
    }

    private static Dictionary<int, PanopticSegment> IndexSegments(IReadOnlyList<PanopticSegment> segments, string imageId, string what, string where)
    {
        var byId = new Dictionary<int, PanopticSegment>(segments.Count);
        foreach (var s in segments)
            if (!byId.TryAdd(s.Id, s))
                throw new SegmenterException($"image {imageId}: {what} segment id {s.Id} is listed twice in segments_info", where,
                    "give every segment of an image a unique id");
        return byId;
    }
}
