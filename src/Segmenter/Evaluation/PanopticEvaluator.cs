using System.Globalization;
using System.Text.Json;

namespace Segmenter.Evaluation;

/// <summary>
/// Evaluates COCO-panoptic-format predictions (json + folder of RGB id PNGs) against the ground truth, like
/// panopticapi's pq_compute: annotations are paired by image_id, every GT image needs a prediction, predictions
/// for images absent from the GT are ignored, categories come from the GT json.
/// </summary>
public static class PanopticEvaluator
{
    /// <summary>One image's annotation: its id (numbers and strings both occur), PNG file name and segments.</summary>
    public sealed record Annotation(string ImageId, string FileName, IReadOnlyList<PanopticSegment> Segments);

    public static PanopticResult Evaluate(string gtJson, string gtFolder, string predJson, string predFolder)
    {
        var gtRoot = LoadJson(gtJson);
        var predRoot = LoadJson(predJson);
        var categories = ReadCategories(gtRoot, gtJson);
        var gtAnns = ReadAnnotations(gtRoot, gtJson);
        var predAnns = new Dictionary<string, Annotation>(StringComparer.Ordinal);
        foreach (var a in ReadAnnotations(predRoot, predJson)) predAnns[a.ImageId] = a;
        if (!Directory.Exists(gtFolder))
            throw new SegmenterException("ground-truth PNG folder not found", gtFolder, "pass the folder of the ground-truth panoptic PNGs");
        if (!Directory.Exists(predFolder))
            throw new SegmenterException("prediction PNG folder not found", predFolder, "pass the folder of the predicted panoptic PNGs");
        if (gtAnns.Count == 0)
            throw new SegmenterException("ground-truth json has no annotations", gtJson, "pass the panoptic ground-truth json of the split");

        var pq = new PanopticQuality(categories);
        foreach (var gt in gtAnns)
        {
            if (!predAnns.TryGetValue(gt.ImageId, out var pred))
                throw new SegmenterException($"no prediction for the image with id {gt.ImageId} ({gt.FileName})", predJson,
                    "predict every image of the ground-truth json");
            var gtPng = Path.Combine(gtFolder, gt.FileName);
            var predPng = Path.Combine(predFolder, pred.FileName);
            var gtMap = PanopticIdMap.ReadRgbPng(gtPng);
            var predMap = PanopticIdMap.ReadRgbPng(predPng);
            pq.Update(gt.ImageId, gtMap, gt.Segments, predMap, pred.Segments, predPng);
        }
        return pq.Compute();
    }

    public static JsonElement LoadJson(string path)
    {
        if (!File.Exists(path)) throw new SegmenterException("file not found", path, "check the panoptic json path");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new SegmenterException($"invalid JSON: {e.Message}", path, "re-create the json file", e);
        }
    }

    public static IReadOnlyList<PanopticCategory> ReadCategories(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("categories", out var cats) || cats.ValueKind != JsonValueKind.Array)
            throw new SegmenterException("no 'categories' array", source, "use a COCO panoptic ground-truth json (images, annotations, categories)");
        var list = new List<PanopticCategory>();
        foreach (var c in cats.EnumerateArray())
        {
            int id = GetInt(c, "id", source, "categories");
            string name = c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : id.ToString(CultureInfo.InvariantCulture);
            if (!c.TryGetProperty("isthing", out var t))
                throw new SegmenterException($"category {id} has no 'isthing'", source, "mark every category with isthing 1 (thing) or 0 (stuff)");
            bool isThing = t.ValueKind == JsonValueKind.True || (t.ValueKind == JsonValueKind.Number && t.GetDouble() == 1);
            list.Add(new PanopticCategory(id, name, isThing));
        }
        return list;
    }

    public static IReadOnlyList<Annotation> ReadAnnotations(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("annotations", out var anns) || anns.ValueKind != JsonValueKind.Array)
            throw new SegmenterException("no 'annotations' array", source, "use a COCO panoptic json (annotations with image_id, file_name, segments_info)");
        var list = new List<Annotation>();
        foreach (var a in anns.EnumerateArray())
        {
            if (!a.TryGetProperty("image_id", out var idEl))
                throw new SegmenterException("an annotation has no 'image_id'", source, "give every annotation its image_id");
            string imageId = idEl.ValueKind == JsonValueKind.String ? idEl.GetString()! : idEl.GetRawText();
            if (!a.TryGetProperty("file_name", out var fn) || fn.ValueKind != JsonValueKind.String)
                throw new SegmenterException($"annotation of image {imageId} has no 'file_name'", source, "give the PNG file name of every annotation");
            if (!a.TryGetProperty("segments_info", out var segs) || segs.ValueKind != JsonValueKind.Array)
                throw new SegmenterException($"annotation of image {imageId} has no 'segments_info' array", source, "list the image's segments in segments_info");
            var segments = new List<PanopticSegment>();
            string where = $"annotations[image_id={imageId}].segments_info";
            foreach (var s in segs.EnumerateArray())
            {
                int id = GetInt(s, "id", source, where);
                int category = GetInt(s, "category_id", source, where);
                bool crowd = s.TryGetProperty("iscrowd", out var cr) && cr.ValueKind == JsonValueKind.Number && cr.GetDouble() == 1;
                double? area = s.TryGetProperty("area", out var ar) && ar.ValueKind == JsonValueKind.Number ? ar.GetDouble() : null;
                segments.Add(new PanopticSegment(id, category, crowd, area));
            }
            list.Add(new Annotation(imageId, fn.GetString()!, segments));
        }
        return list;
    }

    private static int GetInt(JsonElement e, string key, string source, string where)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw new SegmenterException($"{where}: missing or non-integer '{key}'", source, $"give every entry an integer '{key}'");
        return i;
    }
}
