using System.Text.Json;
using Segmenter.Evaluation;
using Segmenter.IO;

namespace Segmenter.Tests.Evaluation;

/// <summary>Runs every case folder under metrics/semantic against its expected.json (mmseg IoUMetric numbers).</summary>
public class SemanticMetricCaseTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(TestPaths.Metrics, "semantic")).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "expected.json"))) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void There_are_semantic_cases() => Assert.NotEmpty(Cases());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_expected(string caseName)
    {
        var dir = Path.Combine(TestPaths.Metrics, "semantic", caseName);
        using var caseDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "case.json")));
        using var expDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var cfg = caseDoc.RootElement;
        var exp = expDoc.RootElement;
        int numClasses = cfg.GetProperty("num_classes").GetInt32();
        int ignore = cfg.GetProperty("ignore_index").GetInt32();
        bool rzl = cfg.GetProperty("reduce_zero_label").GetBoolean();

        var result = FolderEvaluator.EvaluateSemantic(Path.Combine(dir, "pred"), Path.Combine(dir, "gt"), numClasses, ignore, rzl);

        Assert.Equal(Longs(exp.GetProperty("total_area_intersect")), result.AreaIntersect);
        Assert.Equal(Longs(exp.GetProperty("total_area_union")), result.AreaUnion);
        Assert.Equal(Longs(exp.GetProperty("total_area_pred_label")), result.AreaPredLabel);
        Assert.Equal(Longs(exp.GetProperty("total_area_label")), result.AreaLabel);

        foreach (var prop in exp.GetProperty("per_class_float64").EnumerateObject())
        {
            var expected = prop.Value.EnumerateArray().Select(Num).ToArray();
            var actual = result.PerClass(prop.Name);
            Assert.Equal(expected.Length, actual.Length);
            for (int c = 0; c < expected.Length; c++) AssertClose(expected[c], actual[c], $"{caseName} {prop.Name}[{c}]");
        }
        var summary = result.Summary();
        foreach (var prop in exp.GetProperty("summary_float64_fraction").EnumerateObject())
            AssertClose(Num(prop.Value), summary[prop.Name], $"{caseName} {prop.Name}");
        var reported = result.ReportedPercent();
        foreach (var prop in exp.GetProperty("mmseg_reported_percent_round2").EnumerateObject())
        {
            double e = Num(prop.Value), a = reported[prop.Name];
            Assert.True(double.IsNaN(e) ? double.IsNaN(a) : e == a, $"{caseName} reported {prop.Name}: expected {e}, got {a}");
        }

        // Per image, from case.json's list; the per-image metrics merged with Add must give the totals again.
        if (exp.TryGetProperty("per_image_areas", out var perImage))
        {
            var images = cfg.GetProperty("images").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
            var merged = new SemanticMetric(numClasses, ignore, rzl);
            foreach (var img in perImage.EnumerateArray())
            {
                var info = images[img.GetProperty("name").GetString()!];
                var one = new SemanticMetric(numClasses, ignore, rzl);
                one.Update(ImageIO.ReadLabel(Path.Combine(dir, info.GetProperty("pred").GetString()!)),
                    ImageIO.ReadLabel(Path.Combine(dir, info.GetProperty("gt").GetString()!)), info.GetProperty("name").GetString());
                Assert.Equal(Longs(img.GetProperty("area_intersect")), one.AreaIntersect);
                Assert.Equal(Longs(img.GetProperty("area_union")), one.AreaUnion());
                Assert.Equal(Longs(img.GetProperty("area_pred_label")), one.AreaPredLabel);
                Assert.Equal(Longs(img.GetProperty("area_label")), one.AreaLabel);
                merged.Add(one);
            }
            Assert.Equal(result.AreaIntersect, merged.AreaIntersect);
            Assert.Equal(result.AreaLabel, merged.AreaLabel);
        }

        // JSON round trip: NaN -> null, areas present.
        using var json = JsonDocument.Parse(result.ToJson());
        Assert.Equal(Longs(exp.GetProperty("total_area_union")), Longs(json.RootElement.GetProperty("total_area_union")));
        var iouJson = json.RootElement.GetProperty("per_class").GetProperty("IoU").EnumerateArray().Select(Num).ToArray();
        for (int c = 0; c < numClasses; c++) AssertClose(result.IoU[c], iouJson[c], $"json IoU[{c}]");
    }

    internal static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    internal static double Num(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();

    internal static void AssertClose(double expected, double actual, string what, double tol = 1e-9)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        Assert.False(double.IsNaN(actual), $"{what}: expected {expected}, got NaN");
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected}, got {actual}");
    }
}
