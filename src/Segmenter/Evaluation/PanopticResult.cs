using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Segmenter.Evaluation;

/// <summary>Dataset-level panoptic quality: per-category PQ/SQ/RQ with raw counts, and the All / Things / Stuff means (fractions).</summary>
public sealed class PanopticResult
{
    public PanopticResult(IReadOnlyList<PanopticCategoryResult> perCategory, PanopticSummary all, PanopticSummary things,
        PanopticSummary stuff, IReadOnlyList<PanopticImageStats> images)
    {
        PerCategory = perCategory;
        All = all;
        Things = things;
        Stuff = stuff;
        Images = images;
    }

    public IReadOnlyList<PanopticCategoryResult> PerCategory { get; }
    public PanopticSummary All { get; }
    public PanopticSummary Things { get; }
    public PanopticSummary Stuff { get; }
    public IReadOnlyList<PanopticImageStats> Images { get; }

    /// <summary>The table panopticapi prints: PQ, SQ, RQ in percent with one decimal and the category count N.</summary>
    public string FormatTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"",-10}| {"PQ",5}  {"SQ",5}  {"RQ",5} {"N",5}");
        sb.AppendLine(new string('-', 10 + 7 * 4));
        foreach (var (name, s) in new[] { ("All", All), ("Things", Things), ("Stuff", Stuff) })
            sb.AppendLine($"{name,-10}| {Pct(s.Pq),5}  {Pct(s.Sq),5}  {Pct(s.Rq),5} {s.N,5}");
        return sb.ToString().TrimEnd('\n', '\r');
    }

    /// <summary>JSON with the summary, per-category results and counts, and per-image counts; NaN is written as null.</summary>
    public string ToJson()
    {
        JsonObject Summary(PanopticSummary s) => new()
        {
            ["pq"] = SemanticResult.Number(s.Pq), ["sq"] = SemanticResult.Number(s.Sq), ["rq"] = SemanticResult.Number(s.Rq), ["n"] = s.N,
        };
        var perClass = new JsonObject();
        foreach (var r in PerCategory)
            perClass[r.Category.Id.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["name"] = r.Category.Name,
                ["isthing"] = r.Category.IsThing ? 1 : 0,
                ["pq"] = r.Pq, ["sq"] = r.Sq, ["rq"] = r.Rq,
                ["tp"] = r.Tp, ["fp"] = r.Fp, ["fn"] = r.Fn, ["iou_sum"] = r.IouSum,
                ["counted_in_mean"] = r.CountedInMean,
            };
        var images = new JsonArray();
        foreach (var img in Images)
        {
            var cats = new JsonObject();
            foreach (var (cat, c) in img.PerCategory.OrderBy(kv => kv.Key))
                cats[cat.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["tp"] = c.Tp, ["fp"] = c.Fp, ["fn"] = c.Fn, ["iou_sum"] = c.IouSum };
            images.Add(new JsonObject { ["image_id"] = img.ImageId, ["per_class"] = cats });
        }
        var root = new JsonObject
        {
            ["summary"] = new JsonObject { ["All"] = Summary(All), ["Things"] = Summary(Things), ["Stuff"] = Summary(Stuff) },
            ["per_class"] = perClass,
            ["per_image_stats"] = images,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Pct(double v) => double.IsNaN(v) ? "nan" : (100 * v).ToString("F1", CultureInfo.InvariantCulture);
}
