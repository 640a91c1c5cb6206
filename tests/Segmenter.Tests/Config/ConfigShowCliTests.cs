using Segmenter.Tests.EndToEnd;

namespace Segmenter.Tests.Config;

/// <summary>`segment config show` prints the keys the chosen types read; a key the type does not read is exit 2, one line.</summary>
[Collection("cli")]
public class ConfigShowCliTests
{
    [Fact]
    public void DeepLabV3PlusShowHasNoOtherTypesKeys()
    {
        var (code, stdout, err) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"));
        Assert.True(code == 0, err);
        Assert.Contains("c1_channels: 48", stdout);
        foreach (var key in new[] { "panoptic:", "axial:", "isa_channels:", "down_factor:" })
            Assert.DoesNotContain(key, stdout);
    }

    [Fact]
    public void AKeyTheTypeDoesNotReadIsExitTwoOnOneLine()
    {
        var (code, _, err) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "smoke_voc.yaml"),
            "--cfg-options", "model.decode_head.isa_channels=64");
        Assert.Equal(2, code);
        var line = err.Trim();
        Assert.DoesNotContain('\n', line);
        Assert.Contains("'model.decode_head.isa_channels' is not read by model.decode_head.type 'deeplabv3plus'", line);
    }

    [Fact]
    public void PanopticShowKeepsPanopticKeysAndSummarises()
    {
        var (code, stdout, err) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"), "--model-summary");
        Assert.True(code == 0, err);
        Assert.Contains("  panoptic:\n", stdout);
        Assert.Contains("label_divisor:", stdout);
        Assert.Contains("total", stdout);
    }

    /// <summary>--model-summary prints M-Adds at --input-size (default the crop size); the numbers are FlopCounter's.</summary>
    [Theory]
    [InlineData("smoke_panoptic.yaml", "96x48", 96, 48)]
    [InlineData("smoke_voc.yaml", "72", 72, 72)]
    [InlineData("smoke_voc.yaml", null, 64, 64)]
    public void ModelSummaryPrintsMAddsAtTheInputSize(string config, string? size, int h, int w)
    {
        var path = Path.Combine(TestPaths.Configs, config);
        string[] args = size is null ? ["config", "show", "--config", path, "--model-summary"] : ["config", "show", "--config", path, "--model-summary", "--input-size", size];
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        Assert.Contains($"M-Adds at {h}x{w}", stdout);
        var cfg = Segmenter.Config.ConfigLoader.Load(path);
        using var model = Segmenter.Models.ModelFactory.Create(cfg.Model, Segmenter.Models.ModelFactory.InputSizeOf(cfg));
        var report = Segmenter.Benchmarks.FlopCounter.Count(model, cfg.Model, h, w);
        var total = (report.Inference / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches($@"(?m)^inference total\s+{System.Text.RegularExpressions.Regex.Escape(total)}$", stdout.Replace("\r", ""));
    }

    [Theory]
    [InlineData("12x", "--input-size '12x' is not HxW")]
    [InlineData("0x4", "--input-size '0x4' is not HxW")]
    public void ABadInputSizeIsExitTwoOnOneLine(string size, string expected)
    {
        var (code, _, err) = CliRunner.Run("config", "show", "--config", Path.Combine(TestPaths.Configs, "smoke_voc.yaml"), "--model-summary", "--input-size", size);
        Assert.Equal(2, code);
        Assert.DoesNotContain('\n', err.Trim());
        Assert.Contains(expected, err);
    }
}
