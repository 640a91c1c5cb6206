using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A panoptic dataset seen as an <see cref="ISegmentationDataset"/> whose label is the segment's position in the
/// image's segments_info (0..n−1) and 255 on VOID, so the semantic TrainTransform (nearest resize, crop, flip, pad
/// with 255) and BatchLoader carry panoptic ground truth unchanged; <see cref="Decode"/> turns a transformed label back
/// into a <see cref="PanopticGroundTruth"/> for target generation. Needs cat_max_ratio 1 (segments are not classes).
/// </summary>
public sealed class PanopticSegmentIndexView : ISegmentationDataset
{
    private readonly Dictionary<string, int> _indexById;

    public PanopticSegmentIndexView(PanopticDataset dataset)
    {
        Dataset = dataset;
        _indexById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < dataset.Count; i++) _indexById[dataset.IdAt(i)] = i;
    }

    public PanopticDataset Dataset { get; }
    public int Count => Dataset.Count;
    public string IdAt(int index) => Dataset.IdAt(index);

    public Sample Load(int index)
    {
        var s = Dataset.LoadPanoptic(index);
        if (s.Gt.Segments.Count > 255)
            throw new SegmenterException($"image {s.Id} has {s.Gt.Segments.Count} segments; at most 255 fit the 8-bit training label", s.PanopticPath,
                "drop tiny segments from the annotation");
        var position = new Dictionary<int, byte>();
        for (int k = 0; k < s.Gt.Segments.Count; k++) position[s.Gt.Segments[k].Id] = (byte)k;
        var data = new byte[s.Gt.SegmentIds.Length];
        for (int p = 0; p < data.Length; p++) data[p] = position.TryGetValue(s.Gt.SegmentIds[p], out var k) ? k : (byte)255;
        return new Sample(s.Id, s.Image, new LabelMap(s.Gt.Width, s.Gt.Height, data), s.ImagePath, s.PanopticPath);
    }

    /// <summary>The ground truth of item <paramref name="id"/> from a (transformed) segment-position label: segment k gets id k + 1.</summary>
    public PanopticGroundTruth Decode(string id, ReadOnlySpan<byte> label, int width, int height)
    {
        var item = Dataset.Items[_indexById[id]];
        var ids = new int[width * height];
        for (int p = 0; p < ids.Length; p++) ids[p] = label[p] < 255 ? label[p] + 1 : 0;
        var segments = new List<PanopticGtSegment>(item.Segments.Count);
        for (int k = 0; k < item.Segments.Count; k++)
        {
            var s = item.Segments[k];
            int cls = Dataset.Classes.ClassOf(s.CategoryId);
            segments.Add(new PanopticGtSegment(k + 1, s.CategoryId, cls, Dataset.Classes.IsThing[cls], s.IsCrowd));
        }
        return new PanopticGroundTruth(width, height, ids, segments);
    }

    /// <summary>The Panoptic-DeepLab targets of a transformed sample (for <see cref="BatchLoader.Targets"/>, on the worker threads).</summary>
    public Func<TransformedSample, PanopticTargets> TargetBuilder(PanopticTargetOptions options) =>
        s => PanopticTargets.Generate(Decode(s.Id, s.Label, s.Width, s.Height), options);
}
