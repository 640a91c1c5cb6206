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
}
