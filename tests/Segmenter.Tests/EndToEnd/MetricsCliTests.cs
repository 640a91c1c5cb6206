using System.Text.Json;

namespace Segmenter.Tests.EndToEnd;

/// <summary>`segment metrics semantic|panoptic` reproduce the official evaluators' results from the command line.</summary>
[Collection("cli")]
public sealed class MetricsCliTests
{
    public static IEnumerable<object[]> SemanticCases() =>
        Directory.GetDirectories(Path.Combine(TestPaths.Metrics, "semantic")).Order().Select(d => new object[] { Path.GetFileName(d) });

    public static IEnumerable<object[]> PanopticCases() =>
        Directory.GetDirectories(Path.Combine(TestPaths.Metrics, "panoptic")).Order().Select(d => new object[] { Path.GetFileName(d) });

    [Theory]
    [MemberData(nameof(SemanticCases))]
    public void SemanticCommandMatchesMmseg(string name)
    {
        var dir = Path.Combine(TestPaths.Metrics, "semantic", name);
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "case.json")));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var c = caseJson.RootElement;
        var output = Path.Combine(TestPaths.NewTempDir("semcli"), "out.json");
        var args = new List<string> { "metrics", "semantic", "--pred", Path.Combine(dir, "pred"), "--gt", Path.Combine(dir, "gt"),
            "--num-classes", c.GetProperty("num_classes").GetInt32().ToString(), "--ignore-index", c.GetProperty("ignore_index").GetInt32().ToString(), "--json", output };
        if (c.GetProperty("reduce_zero_label").GetBoolean()) args.Add("--reduce-zero-label");
        var (code, stdout, err) = CliRunner.Run([.. args]);
        Assert.True(code == 0, err);
        Assert.Contains("mIoU", stdout);
        using var ours = JsonDocument.Parse(File.ReadAllText(output));
        foreach (var key in new[] { "aAcc", "mIoU", "mAcc" })
        {
            double want = expected.RootElement.GetProperty("summary_float64_fraction").GetProperty(key).GetDouble();
            double got = ours.RootElement.GetProperty("summary").GetProperty(key).GetDouble();
            Assert.True(Math.Abs(want - got) <= 1e-9, $"{name} {key}: {got} vs {want}");
        }
    }

    [Theory]
    [MemberData(nameof(PanopticCases))]
    public void PanopticCommandMatchesPanopticapi(string name)
    {
        var dir = Path.Combine(TestPaths.Metrics, "panoptic", name);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var output = Path.Combine(TestPaths.NewTempDir("pqcli"), "out.json");
        var (code, stdout, err) = CliRunner.Run("metrics", "panoptic", "--gt-json", Path.Combine(dir, "panoptic_gt.json"), "--gt-folder", Path.Combine(dir, "panoptic_gt"),
            "--pred-json", Path.Combine(dir, "panoptic_pred.json"), "--pred-folder", Path.Combine(dir, "panoptic_pred"), "--json", output);
        Assert.True(code == 0, err);
        Assert.Contains("PQ", stdout);
        using var ours = JsonDocument.Parse(File.ReadAllText(output));
        foreach (var group in new[] { "All", "Things", "Stuff" })
            foreach (var key in new[] { "pq", "sq", "rq" })
            {
                double want = expected.RootElement.GetProperty("summary").GetProperty(group).GetProperty(key).GetDouble();
                double got = ours.RootElement.GetProperty("summary").GetProperty(group).GetProperty(key).GetDouble();
                Assert.True(Math.Abs(want - got) <= 1e-9, $"{name} {group}.{key}: {got} vs {want}");
            }
    }
}
