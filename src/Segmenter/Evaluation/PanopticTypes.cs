namespace Segmenter.Evaluation;

/// <summary>A COCO panoptic category: things are countable objects, stuff is amorphous regions (averaged separately).</summary>
public sealed record PanopticCategory(int Id, string Name, bool IsThing);

/// <summary>
/// One entry of a COCO panoptic "segments_info": the segment's id in the id map, its category, whether it is a
/// crowd region, and (for ground truth) its area as written in the json, which panopticapi uses instead of recounting.
/// </summary>
public sealed record PanopticSegment(int Id, int CategoryId, bool IsCrowd = false, double? Area = null);

/// <summary>panopticapi's PQStatCat: matched (TP), unmatched predicted (FP) and unmatched GT (FN) segments and the IoU sum of matches.</summary>
public sealed class PanopticCounts
{
    public long Tp { get; internal set; }
    public long Fp { get; internal set; }
    public long Fn { get; internal set; }
    public double IouSum { get; internal set; }

    internal void Add(PanopticCounts other)
    {
        Tp += other.Tp; Fp += other.Fp; Fn += other.Fn; IouSum += other.IouSum;
    }
}

/// <summary>The counts one image contributed, per category id (only categories it touched).</summary>
public sealed record PanopticImageStats(string ImageId, IReadOnlyDictionary<int, PanopticCounts> PerCategory);

/// <summary>PQ, SQ, RQ averaged over the <see cref="N"/> categories with TP+FP+FN &gt; 0 (NaN when N is 0).</summary>
public sealed record PanopticSummary(double Pq, double Sq, double Rq, int N);

/// <summary>Per-category result: the raw counts and PQ/SQ/RQ (0 when the category never occurs, which is then left out of the means).</summary>
public sealed record PanopticCategoryResult(PanopticCategory Category, long Tp, long Fp, long Fn, double IouSum,
    double Pq, double Sq, double Rq, bool CountedInMean);
