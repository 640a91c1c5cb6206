using System.Text.Json;
using Segmenter.Evaluation;

namespace Segmenter.Data;

/// <summary>
/// The checks panopticapi's pq_compute makes (panopticapi/evaluation.py: "segment with ID ... has unknown
/// category_id", "... is presented in PNG and not presented in JSON", "... presented in JSON and not presented in
/// PNG"), made where the data is read so a dataset that lies stops with the file named. JSON-level checks run when the
/// dataset is opened; PNG-level checks when a PNG is read (training, evaluation) and for every PNG by `segment data check`.
/// </summary>
public static class PanopticConsistency
{
    /// <summary>Every JSON-level problem: duplicate image ids (in images and in annotations), duplicate PNG names, duplicate or VOID (0) segment ids, unknown category_id.</summary>
    public static List<SegmenterException> CheckJson(JsonElement root, string json, PanopticClassMap classes, IReadOnlyList<PanopticEvaluator.Annotation> annotations)
    {
        var problems = new List<SegmenterException>();
        if (root.TryGetProperty("images", out var images) && images.ValueKind == JsonValueKind.Array)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var im in images.EnumerateArray())
                if (im.ValueKind == JsonValueKind.Object && im.TryGetProperty("id", out var id))
                {
                    var key = id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
                    if (!seen.Add(key))
                        problems.Add(new SegmenterException($"image id {key} is listed twice in 'images'", json, "give every image a unique id"));
                }
        }
        var annotated = new HashSet<string>(StringComparer.Ordinal);
        var pngs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ann in annotations)
        {
            if (!annotated.Add(ann.ImageId))
                problems.Add(new SegmenterException($"image {ann.ImageId} has two annotations", json, "keep one annotation (one PNG with its segments_info) per image"));
            if (!pngs.Add(ann.FileName))
                problems.Add(new SegmenterException($"PNG {ann.FileName} is named by two annotations (image {ann.ImageId})", json, "give every annotation its own PNG"));
            var ids = new HashSet<int>();
            foreach (var s in ann.Segments)
            {
                if (s.Id == 0)
                    problems.Add(new SegmenterException($"image {ann.ImageId} lists segment id 0, which is VOID in panoptic PNGs", json, "number segments from 1 (id = R + 256 G + 256^2 B)"));
                if (!ids.Add(s.Id))
                    problems.Add(new SegmenterException($"image {ann.ImageId} lists segment {s.Id} twice", json, "give every segment of an image a unique id"));
                if (classes.ClassOf(s.CategoryId) < 0)
                    problems.Add(new SegmenterException($"segment {s.Id} of image {ann.ImageId} has category_id {s.CategoryId}, which is not in 'categories'",
                        json, "use category ids listed in the json's 'categories', or add the category"));
            }
        }
        return problems;
    }

    /// <summary>The first PNG-level problem of one image, or null: ids in the PNG that the JSON does not list, listed segments absent from the PNG.</summary>
    public static SegmenterException? CheckPng(int[] segmentIds, IReadOnlyList<PanopticSegment> segments, string imageId, string png)
    {
        var listed = new HashSet<int>(segments.Select(s => s.Id));
        var present = new HashSet<int>();
        foreach (var id in segmentIds)
            if (id != 0 && present.Add(id) && !listed.Contains(id))
                return new SegmenterException($"segment id {id} is in the PNG of image {imageId} but not in its segments_info", png,
                    "re-create the PNG and json together (panopticapi refuses this too), or list the segment in the json");
        foreach (var s in segments)
            if (!present.Contains(s.Id))
                return new SegmenterException($"segment {s.Id} of image {imageId} is listed in the json but absent from the PNG", png,
                    "re-create the PNG and json together (panopticapi refuses this too)");
        return null;
    }

    /// <summary>Throws the first of <paramref name="problems"/>, saying how many more there are.</summary>
    public static void ThrowFirst(List<SegmenterException> problems)
    {
        if (problems.Count == 0) return;
        var first = problems[0];
        string more = problems.Count > 1 ? $" (and {problems.Count - 1} more problems; `segment data check` lists them all)" : "";
        throw new SegmenterException(first.What + more, first.Where, first.Fix);
    }
}
