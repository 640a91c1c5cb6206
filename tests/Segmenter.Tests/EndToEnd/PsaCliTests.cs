using Segmenter.Config;

namespace Segmenter.Tests.EndToEnd;

/// <summary>The PSA configs through the CLI: lookup by bare name, the recipe, the model summary's PSA share, the bench table.</summary>
[Collection("cli")]
public sealed class PsaCliTests
{
    [Fact]
    public void PsaR50ConfigShowsThePaperRecipe()
    {
        // A bare name resolves under the repo's configs/, as `segment train --config voc_psa_r50.yaml` from the root.
        var (code, stdout, stderr) = CliRunner.Run("config", "show", "--config", "voc_psa_r50.yaml");
        Assert.True(code == 0, stderr);
        var cfg = ConfigLoader.LoadText(stdout, "shown.yaml");
        var baseline = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"));
        Assert.Equal(("psa", "parallel"), (cfg.Model.Backbone.Attention.Type, cfg.Model.Backbone.Attention.Layout));
        Assert.Equal(50, cfg.Model.Backbone.Depth);
        Assert.Equal(8, cfg.Model.Backbone.OutputStride);
        // The PSA repository's trunk dilates every block of layer3/layer4; the mmseg baseline contracts the first.
        Assert.False(cfg.Model.Backbone.ContractDilation);
        Assert.True(baseline.Model.Backbone.ContractDilation);
        Assert.Equal((int)Math.Round(baseline.Schedule.MaxIters * 1.3), cfg.Schedule.MaxIters);
        Assert.Equal(52000, cfg.Schedule.MaxIters);
        Assert.Equal(5000, cfg.Schedule.WarmupIters);
        Assert.Equal(1e-6, cfg.Schedule.WarmupRatio);
        // Everything but attention, contract_dilation, schedule length/warm-up and work dir is the baseline's.
        Assert.Equal(ConfigWriter.ToYaml(baseline with
        {
            Model = baseline.Model with { Backbone = baseline.Model.Backbone with { Attention = cfg.Model.Backbone.Attention, ContractDilation = false } },
            Schedule = baseline.Schedule with { MaxIters = 52000, WarmupIters = 5000, WarmupRatio = 1e-6 },
            Train = baseline.Train with { WorkDir = cfg.Train.WorkDir },
        }), stdout);
    }

    [Fact]
    public void SequentialAndR101ConfigsDifferOnlyWhereNamed()
    {
        var p = ConfigLoader.Load("voc_psa_r50.yaml");
        var s = ConfigLoader.Load("voc_psa_s_r50.yaml");
        var r101 = ConfigLoader.Load("voc_psa_r101.yaml");
        Assert.Equal("sequential", s.Model.Backbone.Attention.Layout);
        Assert.Equal(p.Schedule, s.Schedule);
        Assert.Equal(101, r101.Model.Backbone.Depth);
        Assert.Equal(("psa", "parallel"), (r101.Model.Backbone.Attention.Type, r101.Model.Backbone.Attention.Layout));
        Assert.Equal(p.Schedule, r101.Schedule);
        Assert.All(new[] { p, s, r101 }, c => Assert.False(c.Model.Backbone.ContractDilation));
        Assert.Equal(["work_dirs/voc_psa_r50", "work_dirs/voc_psa_s_r50", "work_dirs/voc_psa_r101"],
            new[] { p, s, r101 }.Select(c => c.Train.WorkDir));
        var smoke = ConfigLoader.Load("smoke_voc_psa.yaml");
        Assert.Equal(("psa", "parallel", 18), (smoke.Model.Backbone.Attention.Type, smoke.Model.Backbone.Attention.Layout, smoke.Model.Backbone.Depth));
    }

    [Fact]
    public void ModelSummaryShowsThePsaParameters()
    {
        var (code, stdout, stderr) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "smoke_voc_psa.yaml"), "--model-summary");
        Assert.True(code == 0, stderr);
        var line = stdout.Split('\n').Single(l => l.StartsWith("of which deattn"));
        // ResNet-18 PSA_p: per block 5 bias-free 1x1 convs on width w: w + 3·w·w/2 + w/2·w = w + 2w² parameters.
        long expected = new[] { 64L, 128, 256, 512 }.Sum(w => 2 * (w + 2 * w * w));
        Assert.Contains(expected.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), line);
        Assert.Contains("backbone.layer4", stdout);

        var (plainCode, plain, _) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "smoke_voc.yaml"), "--model-summary");
        Assert.Equal(0, plainCode);
        Assert.DoesNotContain("deattn", plain);
    }

    [Fact]
    public void BenchComparesAttentionVariantsWithRatios()
    {
        var json = Path.Combine(TestPaths.NewTempDir("bench_json"), "bench.json");
        var (code, stdout, stderr) = CliRunner.Run("bench", "--config", Path.Combine(TestPaths.Configs, "smoke_voc_psa.yaml"),
            "--iters", "1", "--warmup", "1", "--compare-attention", "none,psa-parallel,psa-sequential", "--rounds", "2", "--json", json,
            "--cfg-options", "data.root=/nonexistent/synth", "data.batch_size=2", "data.train_pipeline.crop_size=[32,32]");
        Assert.True(code == 0, stderr + stdout);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.Single(l => l.StartsWith("variant ")); // log lines share stdout
        Assert.Contains("GMACs", header);
        Assert.Contains("MACs x", header);
        Assert.Contains("+MB", header);
        var rows = lines.SkipWhile(l => l != header).Skip(1).Take(3).ToList();
        Assert.Equal(["none", "psa-parallel", "psa-sequential"], rows.Select(r => r.Split(' ')[0]));
        Assert.Contains(lines, l => l.StartsWith("psa-parallel attention:"));
        Assert.Contains(lines, l => l.StartsWith("psa-sequential attention:"));
        // The first row is the reference: every ratio 1.
        var none = rows.First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1.000", "1.000", "1.000"], none[^4..^1]); // params x, MACs x, time x
        Assert.Contains(lines, l => l.StartsWith("times are means over 2 interleaved rounds"));
        Assert.Contains(lines, l => l.StartsWith("psa-sequential phases: forward+loss"));

        // --json: one object per variant, the phases adding up to the step.
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var variants = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(["none", "psa-parallel", "psa-sequential"], variants.Select(v => v.GetProperty("name").GetString()));
        foreach (var v in variants)
        {
            Assert.Equal(2, v.GetProperty("rounds").GetInt32());
            double step = v.GetProperty("step_s").GetDouble();
            double phases = v.GetProperty("forward_s").GetDouble() + v.GetProperty("backward_s").GetDouble() + v.GetProperty("optimizer_s").GetDouble();
            Assert.True(step > 0 && phases > 0.5 * step && phases <= step * 1.0001, $"phases {phases} vs step {step}");
            Assert.True(v.GetProperty("step_cpu_s").GetDouble() > 0);
        }
    }
}
