namespace Segmenter.Inference;

/// <summary>
/// One image's prediction at the image's own size: the class index of every pixel (row-major, <see cref="Width"/> ×
/// <see cref="Height"/>), and for panoptic models the segment id of every pixel and the segments (COCO panoptic
/// <c>segments_info</c>: id, category id, area).
/// </summary>
public sealed record SegmentationResult(int Width, int Height, byte[] ClassMap)
{
    /// <summary>Panoptic models: segment id per pixel (0 = void); null for semantic models.</summary>
    public int[]? SegmentIds { get; init; }

    /// <summary>Panoptic models: the segments of <see cref="SegmentIds"/>; null for semantic models.</summary>
    public IReadOnlyList<PanopticSegmentInfo>? Segments { get; init; }

    /// <summary>The class of pixel (x, y).</summary>
    public int ClassAt(int x, int y) => ClassMap[y * Width + x];
}

/// <summary>A panoptic segment: its id in <see cref="SegmentationResult.SegmentIds"/>, its dataset category and pixel count.</summary>
public sealed record PanopticSegmentInfo(int Id, int CategoryId, string CategoryName, bool IsThing, long Area);
