using System.Text.Json;
using Segmenter.Evaluation;
using static Segmenter.Tests.Evaluation.SemanticMetricCaseTests;

namespace Segmenter.Tests.Evaluation;

/// <summary>Runs every case folder under metrics/panoptic against the official panopticapi output in its expected.json.</summary>
public class PanopticCaseTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(TestPaths.Metrics, "panoptic")).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "expected.json"))) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void There_are_panoptic_cases() => Assert.NotEmpty(Cases());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_panopticapi(string caseName)
    {
        var dir = Path.Combine(TestPaths.Metrics, "panoptic", caseName);
        var result = PanopticEvaluator.Evaluate(
            Path.Combine(dir, "panoptic_gt.json"), Path.Combine(dir, "panoptic_gt"),
            Path.Combine(dir, "panoptic_pred.json"), Path.Combine(dir, "panoptic_pred"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var exp = doc.RootElement;

        var summaries = new Dictionary<string, PanopticSummary> { ["All"] = result.All, ["Things"] = result.Things, ["Stuff"] = result.Stuff };
        foreach (var s in exp.GetProperty("summary").EnumerateObject())
        {
            var actual = summaries[s.Name];
            AssertClose(Num(s.Value.GetProperty("pq")), actual.Pq, $"{s.Name} pq");
            AssertClose(Num(s.Value.GetProperty("sq")), actual.Sq, $"{s.Name} sq");
            AssertClose(Num(s.Value.GetProperty("rq")), actual.Rq, $"{s.Name} rq");
            Assert.Equal(s.Value.GetProperty("n").GetInt32(), actual.N);
        }

        var perCat = result.PerCategory.ToDictionary(r => r.Category.Id.ToString());
        Assert.Equal(exp.GetProperty("per_class").EnumerateObject().Count(), perCat.Count);
        foreach (var c in exp.GetProperty("per_class").EnumerateObject())
        {
            var r = perCat[c.Name];
            var e = c.Value;
            Assert.Equal(e.GetProperty("tp").GetInt64(), r.Tp);
            Assert.Equal(e.GetProperty("fp").GetInt64(), r.Fp);
            Assert.Equal(e.GetProperty("fn").GetInt64(), r.Fn);
            AssertClose(e.GetProperty("iou_sum").GetDouble(), r.IouSum, $"{c.Name} iou_sum");
            AssertClose(e.GetProperty("pq").GetDouble(), r.Pq, $"{c.Name} pq");
            AssertClose(e.GetProperty("sq").GetDouble(), r.Sq, $"{c.Name} sq");
            AssertClose(e.GetProperty("rq").GetDouble(), r.Rq, $"{c.Name} rq");
            if (e.TryGetProperty("counted_in_mean", out var counted)) Assert.Equal(counted.GetBoolean(), r.CountedInMean);
            if (e.TryGetProperty("isthing", out var thing)) Assert.Equal(thing.GetInt32() == 1, r.Category.IsThing);
        }

        if (exp.TryGetProperty("per_image_stats", out var perImage))
        {
            var images = result.Images.ToDictionary(i => i.ImageId);
            foreach (var img in perImage.EnumerateArray())
            {
                var id = img.GetProperty("image_id");
                var actual = images[id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText()];
                var expectedCats = img.GetProperty("per_class").EnumerateObject().ToList();
                Assert.Equal(expectedCats.Select(c => c.Name).Order(), actual.PerCategory.Keys.Select(k => k.ToString()).Order());
                foreach (var c in expectedCats)
                {
                    var a = actual.PerCategory[int.Parse(c.Name)];
                    Assert.Equal(c.Value.GetProperty("tp").GetInt64(), a.Tp);
                    Assert.Equal(c.Value.GetProperty("fp").GetInt64(), a.Fp);
                    Assert.Equal(c.Value.GetProperty("fn").GetInt64(), a.Fn);
                    AssertClose(c.Value.GetProperty("iou_sum").GetDouble(), a.IouSum, $"image {actual.ImageId} cat {c.Name} iou_sum");
                }
            }
        }

        if (exp.TryGetProperty("printed_table", out var table))
            Assert.Equal(table.EnumerateArray().Select(l => l.GetString()!).ToArray(), result.FormatTable().Split('\n'));

        using var json = JsonDocument.Parse(result.ToJson());
        AssertClose(result.All.Pq, json.RootElement.GetProperty("summary").GetProperty("All").GetProperty("pq").GetDouble(), "json All pq");
    }
}
