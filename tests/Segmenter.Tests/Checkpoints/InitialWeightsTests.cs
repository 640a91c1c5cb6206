using Segmenter.Checkpoints;
using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Checkpoints;

/// <summary>load_from's lenient whole-model load (<see cref="InitialWeights"/>): skips, reports, revise_keys, refusals.</summary>
public sealed class InitialWeightsTests
{
    private static readonly string[] Classifiers =
        ["auxiliary_head.conv_seg.bias", "auxiliary_head.conv_seg.weight", "decode_head.conv_seg.bias", "decode_head.conv_seg.weight"];

    private static nn.Module Smoke(params string[] overrides)
    {
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, ["data.class_names=[]", "data.palette=[]", .. overrides]);
        return ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
    }

    private static readonly IReadOnlyList<IReadOnlyList<string>> DefaultRevise = new ExperimentConfig().ReviseKeys;

    [Fact]
    public void A21ClassMmsegCheckpointInto5ClassesSkipsExactlyTheClassifiers()
    {
        var zoo = ZooCheckpoints.Get(); // 21-class smoke DeepLabV3+, MMSegmentation 1.x layout, DataParallel keys, numpy in meta
        using var model = Smoke("model.num_classes=5");
        var dir = TestPaths.NewTempDir("loadfrom");
        var report = InitialWeights.Apply(model, zoo["mmseg1x_dataparallel.pth"], DefaultRevise, dir);

        Assert.Equal(Classifiers, report.ShapeMismatch.Select(s => s.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        var state = model.state_dict();
        Assert.Equal(state.Count - 4, report.Loaded);
        ZooCheckpoints.AssertSameTensors(state.Where(kv => !Classifiers.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value),
            state.Keys.Where(k => !Classifiers.Contains(k)).ToList());
        var json = File.ReadAllText(Path.Combine(dir, "load_from.json"));
        foreach (var key in Classifiers) Assert.Contains(key, json);
    }

    [Fact]
    public void ReviseKeysRewriteForeignLayoutsPythonGroupsIncluded()
    {
        using var source = Smoke();
        var dir = TestPaths.NewTempDir("loadfrom");
        var file = Path.Combine(dir, "foreign.safetensors");
        // A foreign layout: every key under "net." and the decode head called "head".
        SafeTensors.Save(file, source.state_dict().ToDictionary(kv => "net." + kv.Key.Replace("decode_head.", "head."), kv => kv.Value));
        using var model = Smoke();
        IReadOnlyList<IReadOnlyList<string>> rules = [["^net\\.", ""], ["^head\\.(.*)$", "decode_head.\\1"]];
        var report = InitialWeights.Apply(model, file, rules, null);
        Assert.Equal(model.state_dict().Count, report.Loaded);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);

        // Without the rules nothing fits: refused as another layout, exit 2 naming the file.
        using var fresh = Smoke();
        var e = Assert.Throws<SegmenterException>(() => InitialWeights.Apply(fresh, file, DefaultRevise, null));
        Assert.Contains(file, e.Message);
        Assert.Contains("revise_keys", e.Message);
    }

    [Theory]
    [InlineData("^net\\.(.*)$", "\\1", "net.a.b", "a.b")]
    [InlineData("^net\\.(?<rest>.*)$", "x.\\g<rest>", "net.a", "x.a")]
    [InlineData("^module\\.", "", "module.module.a", "module.a")]
    [InlineData("b", "$c", "abab", "a$ca$c")]
    public void ReviseKeysReplaceLikePythonsReSub(string pattern, string replacement, string key, string expected)
    {
        using var t = torch.zeros(1);
        var revised = InitialWeights.Revise(new Dictionary<string, Tensor> { [key] = t }, [[pattern, replacement]], "f.pth");
        Assert.Equal(expected, Assert.Single(revised.Keys));
    }

    [Fact]
    public void AnotherArchitectureIsRefusedNamingWhatItLooksLike()
    {
        var isaCfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "isanet_r50-d8_cityscapes_769x769.yaml"));
        using var isa = ModelFactory.Create(isaCfg.Model, ModelFactory.InputSizeOf(isaCfg));
        var dir = TestPaths.NewTempDir("loadfrom");
        var file = Path.Combine(dir, "isanet_r50.safetensors");
        SafeTensors.Save(file, isa.state_dict());
        using var model = Smoke(); // DeepLabV3+ on ResNet-18
        var e = Assert.Throws<SegmenterException>(() => InitialWeights.Apply(model, file, DefaultRevise, null));
        Assert.Contains("ISANet (decode_head.type: isa) on ResNet-50 with an auxiliary head, 19 classes", e.Message);
        Assert.Contains(file, e.Message);
    }

    [Theory]
    [InlineData("torchvision_resnet50_keys.txt", "ResNet-50")]
    [InlineData("torchvision_resnet18_keys.txt", "a ResNet-18 backbone alone: for model.backbone.pretrained")]
    [InlineData("deeplabv3plus_r50-d8_keys.txt", "DeepLabV3+ (decode_head.type: deeplabv3plus) on ResNet-50")]
    [InlineData("panoptic_deeplab_R50_os16_cityscapes_keys.txt", "a Panoptic-DeepLab model on ResNet-50")]
    [InlineData("axial50s_keys.txt", "Axial-ResNet")]
    public void DescribeNamesTheArchitectureFromTheKeys(string keyList, string expected)
    {
        var shapes = File.ReadLines(Path.Combine(TestPaths.RepoRoot, "tests", "Segmenter.Tests", "Models", "Data", keyList))
            .Where(l => !l.StartsWith('#') && l.Contains('\t'))
            .Select(l => l.Split('\t'))
            .ToDictionary(p => p[0], p => p[1].Length == 0 ? Array.Empty<long>() : p[1].Split(',').Select(long.Parse).ToArray());
        Assert.Contains(expected, InitialWeights.Describe(shapes));
    }

    [Fact]
    public void CodeRunningGlobalsStayRefusedThroughLoadFrom()
    {
        var zoo = ZooCheckpoints.Get();
        using var model = Smoke();
        var e = Assert.Throws<SegmenterException>(() => InitialWeights.Apply(model, zoo["evil_os_system.pth"], DefaultRevise, null));
        Assert.Contains("system", e.Message);
    }
}
