using Segmenter.Evaluation;

namespace Segmenter.Data;

/// <summary>One ground-truth segment, with its dataset category and its contiguous training class.</summary>
public sealed record PanopticGtSegment(int Id, int CategoryId, int ClassIndex, bool IsThing, bool IsCrowd);

/// <summary>
/// A panoptic ground truth in the form targets are made from: the segment-id map (0 = VOID) and the segments
/// listed in segments_info. Pixels whose id is not listed are VOID, as in panopticapi.
/// </summary>
public sealed record PanopticGroundTruth(int Width, int Height, int[] SegmentIds, IReadOnlyList<PanopticGtSegment> Segments)
{
    /// <summary>Joins an id map and its segments_info; a segment with a category outside <paramref name="classes"/> raises.</summary>
    public static PanopticGroundTruth Create(PanopticIdMap map, IReadOnlyList<PanopticSegment> segments, PanopticClassMap classes, string source)
    {
        var list = new List<PanopticGtSegment>(segments.Count);
        foreach (var s in segments)
        {
            int cls = classes.ClassOf(s.CategoryId);
            if (cls < 0)
                throw new SegmenterException($"segment {s.Id} has category_id {s.CategoryId}, which is not in the json categories", source,
                    "use category ids listed in the panoptic json 'categories'");
            list.Add(new PanopticGtSegment(s.Id, s.CategoryId, cls, classes.IsThing[cls], s.IsCrowd));
        }
        return new PanopticGroundTruth(map.Width, map.Height, map.Ids, list);
    }

    /// <summary>The segments in panopticapi form (area recounted from the id map), e.g. to score a prediction against this GT.</summary>
    public IReadOnlyList<PanopticSegment> ToSegments()
    {
        var area = new Dictionary<int, long>();
        foreach (var id in SegmentIds) area[id] = area.GetValueOrDefault(id) + 1;
        return Segments.Select(s => new PanopticSegment(s.Id, s.CategoryId, s.IsCrowd, area.GetValueOrDefault(s.Id))).ToList();
    }

    public PanopticIdMap ToIdMap() => new(Width, Height, SegmentIds);
}
