using System.Text.RegularExpressions;
using Segmenter.Config;
using static Segmenter.Tests.Config.ConfigTestSupport;

namespace Segmenter.Tests.Config;

/// <summary>Keys that only some types read (registered with the type in ModelRegistry) are shown and accepted only for those types.</summary>
public class TypeSpecificKeyTests
{
    private static string Show(string config) => ConfigWriter.ToYaml(ConfigLoader.Load(Path.Combine(TestPaths.Configs, config)));

    private static IReadOnlyList<string> Keys(string yaml, string pattern) =>
        Regex.Matches(yaml, $@"(?m)^\s*({pattern}):").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void DeepLabV3PlusShowPrintsNoPanopticAxialOrIsaKeys()
    {
        var yaml = Show("deeplabv3plus_r50-d8_voc12aug_512x512.yaml");
        Assert.Empty(Keys(yaml, @"panoptic|axial|isa_\w+|down_factor"));
        Assert.Equal(["dilations", "c1_channels", "c1_in_index"], Keys(yaml, "dilations|c1_channels|c1_in_index"));
        Assert.Contains("crop_size: [512, 512]", yaml);
    }

    [Fact]
    public void PanopticAxialAndIsaConfigsShowTheirOwnKeys()
    {
        var panoptic = Show("panoptic_deeplab_r50_cityscapes.yaml");
        Assert.Equal(["panoptic"], Keys(panoptic, "panoptic"));
        foreach (var key in new[] { "atrous_rates", "center_loss_weight", "label_divisor", "instance_head_channels" })
            Assert.Contains($"    {key}:", panoptic);
        Assert.Empty(Keys(panoptic, "axial"));

        var axial = Show("axial_deeplab_l_cityscapes.yaml");
        Assert.Equal(["axial", "panoptic"], Keys(axial, "panoptic|axial"));   // backbone.axial comes before model.panoptic
        Assert.Contains("      width: l", axial);

        var isa = Show("isanet_r50-d8_cityscapes_769x769.yaml");
        Assert.Equal(["isa_channels", "down_factor"], Keys(isa, @"isa_channels|down_factor|dilations|c1_channels|c1_in_index"));
        Assert.Contains("down_factor: [8, 8]", isa);
        Assert.Empty(Keys(isa, "panoptic|axial"));
    }

    [Theory]
    [InlineData("model:\n  decode_head:\n    isa_channels: 128\n", "test.yaml:3: 'model.decode_head.isa_channels' is not read by model.decode_head.type 'deeplabv3plus'", "set model.decode_head.type to isa")]
    [InlineData("model:\n  decode_head:\n    type: isa\n    dilations: [1, 6]\n", "test.yaml:4: 'model.decode_head.dilations' is not read by model.decode_head.type 'isa'", "deeplabv3plus")]
    [InlineData("model:\n  panoptic:\n    sigma: 4\n", "test.yaml:2: 'model.panoptic' is not read by model.type 'encoder_decoder'", "panoptic_deeplab")]
    [InlineData("model:\n  backbone:\n    axial:\n      width: s\n", "test.yaml:3: 'model.backbone.axial' is not read by model.backbone.type 'resnet'", "axial_resnet")]
    [InlineData("model:\n  backbone:\n    type: axial_resnet\n    contract_dilation: true\n", "test.yaml:4: 'model.backbone.contract_dilation' is not read by model.backbone.type 'axial_resnet'", "resnet")]
    [InlineData("model:\n  backbone:\n    type: axial_resnet\n    stem_channels: 128\n", "test.yaml:4: 'model.backbone.stem_channels' is not read by model.backbone.type 'axial_resnet'", "resnet")]
    public void SettingAKeyTheTypeDoesNotReadIsAnError(string yaml, string expected, string fix)
    {
        var message = LoadError(yaml);
        Assert.StartsWith(expected, message);
        Assert.Contains(fix, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void OverridesOfKeysTheTypeDoesNotReadNameTheOption()
    {
        var message = LoadError("", "model.decode_head.down_factor=[4, 4]");
        Assert.StartsWith("--cfg-options 'model.decode_head.down_factor=[4, 4]': 'model.decode_head.down_factor' is not read by model.decode_head.type 'deeplabv3plus'", message);

        // With the type that reads them, the same keys load, and keys of the default type fall back silently.
        var cfg = ConfigLoader.LoadText("", "test.yaml", ["model.decode_head.type=isa", "model.decode_head.down_factor=[4, 2]", "model.decode_head.isa_channels=64"]);
        Assert.Equal(new SizePair(4, 2), cfg.Model.DecodeHead.DownFactor);
        Assert.Equal(64, cfg.Model.DecodeHead.IsaChannels);
        var panoptic = ConfigLoader.LoadText("model:\n  type: panoptic_deeplab\n", "test.yaml", ["model.panoptic.sigma=4"]);
        Assert.Equal(4, panoptic.Model.Panoptic.Sigma);
        var shown = ConfigWriter.ToYaml(panoptic);
        Assert.Contains("  panoptic:\n", shown);
        // The encoder_decoder's heads are not read by panoptic_deeplab: not shown, and an error when set.
        Assert.DoesNotContain("decode_head", shown);
        Assert.DoesNotContain("aux_head", shown);
        var e = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("model:\n  type: panoptic_deeplab\n  aux_head: null\n", "test.yaml", []));
        Assert.Contains("'model.aux_head' is not read by model.type 'panoptic_deeplab'", e.Message);
    }
}
