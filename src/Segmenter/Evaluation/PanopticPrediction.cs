using Segmenter.Data;

namespace Segmenter.Evaluation;

/// <summary>
/// A post-processed panoptic prediction: per pixel class × label_divisor + instance (instance 0 for stuff, the void
/// label where nothing was assigned), the class-agnostic instance map before merging, and the kept centres.
/// </summary>
public sealed record PanopticPrediction(int Width, int Height, int[] Panoptic, int[] Instance, IReadOnlyList<(int Y, int X)> Centers,
    int LabelDivisor, int VoidLabel)
{
    /// <summary>
    /// COCO panoptic form: segment ids 1, 2, ... in order of first appearance (0 = VOID) and one segments_info entry
    /// per segment with the dataset category id and the pixel area.
    /// </summary>
    public (PanopticIdMap Map, List<PanopticSegment> Segments) ToCocoFormat(PanopticClassMap classes)
    {
        var ids = new int[Panoptic.Length];
        var byValue = new Dictionary<int, int>();
        var area = new List<long>();
        var category = new List<int>();
        for (int i = 0; i < Panoptic.Length; i++)
        {
            int v = Panoptic[i];
            if (v == VoidLabel) continue;
            if (!byValue.TryGetValue(v, out var id))
            {
                int cls = v / LabelDivisor;
                if (cls < 0 || cls >= classes.NumClasses)
                    throw new SegmenterException($"panoptic value {v} has class {cls}, outside 0..{classes.NumClasses - 1}", "panoptic prediction",
                        "post-process with the dataset's number of classes and label divisor");
                id = byValue.Count + 1;
                byValue[v] = id;
                area.Add(0);
                category.Add(classes.CategoryOf(cls));
            }
            ids[i] = id;
            area[id - 1]++;
        }
        var segments = new List<PanopticSegment>(byValue.Count);
        for (int k = 0; k < byValue.Count; k++) segments.Add(new PanopticSegment(k + 1, category[k], false, area[k]));
        return (new PanopticIdMap(Width, Height, ids), segments);
    }
}
