using System.Globalization;
using System.Text.Json;
using Segmenter.Benchmarks;
using Segmenter.Config;
using Segmenter.Models;

namespace Segmenter.Tests.Models;

/// <summary>
/// The size table (issue 28, docs/model_sizes.md): each row of Data/size_table.json names a shipped recipe (plus
/// --cfg-options), the input size, our parameter count and M-Adds, and the paper's numbers. The model is built, not run:
/// parameters are counted and M-Adds come from the analytic FlopCounter, so the whole table takes seconds.
/// A row without an `unmatched` reason must be within the file's tolerances of the paper; a row with one records why.
/// </summary>
public class SizeTableTests
{
    private static readonly string CaseFile = Path.Combine(ModelTestUtil.DataDir, "size_table.json");
    private static readonly string Doc = Path.Combine(TestPaths.RepoRoot, "docs", "model_sizes.md");

    private static JsonElement Table() => JsonDocument.Parse(File.ReadAllText(CaseFile)).RootElement;

    private static JsonElement Row(string name) => Table().GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    public static TheoryData<string> Rows()
    {
        var data = new TheoryData<string>();
        foreach (var r in Table().GetProperty("rows").EnumerateArray()) data.Add(r.GetProperty("name").GetString()!);
        return data;
    }

    private static double? Number(JsonElement row, string key) =>
        row.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    [Theory]
    [MemberData(nameof(Rows))]
    public void ParametersAndMAddsAreTheRecordedOnesAndThePapers(string name)
    {
        var table = Table();
        var row = Row(name);
        var overrides = row.GetProperty("cfg_options").EnumerateArray().Select(o => o.GetString()!).ToList();
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, row.GetProperty("config").GetString()!), overrides);
        var input = row.GetProperty("input");
        int h = input[0].GetInt32(), w = input[1].GetInt32();

        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        long parameters = model.parameters().Sum(p => p.numel());
        var macs = FlopCounter.Count(model, cfg.Model, h, w);
        int decimals = table.GetProperty("m_adds_decimals").GetInt32();
        double mAdds = Math.Round(macs.Inference / 1e9, decimals);

        Assert.Equal(row.GetProperty("params").GetInt64(), parameters);
        Assert.Equal(row.GetProperty("m_adds_b").GetDouble(), mAdds);

        var unmatched = row.TryGetProperty("unmatched", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
        double? paperParams = Number(row, "paper_params_m"), paperMAdds = Number(row, "paper_m_adds_b");
        if (unmatched is null)
        {
            Assert.True(paperParams is not null && paperMAdds is not null, $"{name}: a matched row needs the paper's numbers");
            Assert.InRange(Math.Abs(parameters / 1e6 - paperParams!.Value) / paperParams.Value, 0, table.GetProperty("tolerance_params").GetDouble());
            Assert.InRange(Math.Abs(macs.Inference / 1e9 - paperMAdds!.Value) / paperMAdds.Value, 0, table.GetProperty("tolerance_m_adds").GetDouble());
        }
        else Assert.False(string.IsNullOrWhiteSpace(unmatched));
    }

    /// <summary>docs/model_sizes.md shows every row with the recorded numbers (M parameters to 2 decimals, B M-Adds to 1).</summary>
    [Theory]
    [MemberData(nameof(Rows))]
    public void TheDocumentShowsTheRow(string name)
    {
        var row = Row(name);
        string Fmt(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
        var line = File.ReadAllLines(Doc).SingleOrDefault(l => l.StartsWith($"| {name} |", StringComparison.Ordinal));
        Assert.True(line is not null, $"docs/model_sizes.md has no row '| {name} |'");
        Assert.Contains($"| {Fmt(row.GetProperty("params").GetInt64() / 1e6, "0.00")} |", line);
        Assert.Contains($"| {Fmt(row.GetProperty("m_adds_b").GetDouble(), "0.0")} |", line);
        Assert.Contains(row.GetProperty("config").GetString()!, line);
    }
}
