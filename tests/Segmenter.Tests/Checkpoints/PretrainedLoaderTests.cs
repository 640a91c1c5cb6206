using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static Segmenter.Tests.Models.ModelTestUtil;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.Checkpoints;

public class PretrainedLoaderTests
{
    [Fact]
    public void ReportsMissingUnexpectedMismatchAndIgnoredFc()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, "r18.safetensors");
            using (var source = new ResNet(Backbone(18)))
            {
                var sd = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
                sd.Remove("layer1.0.conv1.weight");
                sd.Remove("layer2.0.downsample.1.running_var");
                sd["conv1.weight"] = torch.ones(64, 3, 7, 7);
                sd["layer4.1.bn2.weight"] = torch.ones(3);
                sd["fc.weight"] = torch.zeros(1000, 512);
                sd["fc.bias"] = torch.zeros(1000);
                sd["extra.thing"] = torch.zeros(2);
                SafeTensors.Save(path, sd);
            }
            using var target = new ResNet(Backbone(18, 8));
            var report = PretrainedLoader.LoadBackbone(target, path);
            Assert.Equal(["layer1.0.conv1.weight", "layer2.0.downsample.1.running_var"], report.Missing);
            Assert.Equal(["extra.thing"], report.Unexpected);
            Assert.Single(report.ShapeMismatch);
            Assert.StartsWith("layer4.1.bn2.weight", report.ShapeMismatch[0]);
            Assert.Equal(["fc.bias", "fc.weight"], report.Ignored);
            Assert.Equal(target.state_dict().Count - 3, report.Loaded);
            Assert.Equal(64 * 3 * 49, target.state_dict()["conv1.weight"].sum().item<float>());
            Assert.Contains("newly initialised", report.Summary());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void StripsModuleAndBackbonePrefixes()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, "mmseg.safetensors");
            using (var source = new ResNet(Backbone(18)))
            {
                var sd = source.state_dict().ToDictionary(kv => "module.backbone." + kv.Key, kv => kv.Value);
                sd["module.decode_head.conv_seg.weight"] = torch.zeros(2, 2, 1, 1);
                SafeTensors.Save(path, sd);
            }
            using var target = new ResNet(Backbone(18));
            var report = PretrainedLoader.LoadBackbone(target, path);
            Assert.Empty(report.Missing);
            Assert.Single(report.Unexpected);
            Assert.Contains("decode_head.conv_seg.weight", report.Unexpected[0]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LoadsFromAPytorchZipFile()
    {
        using var bn = nn.BatchNorm2d(2);
        var report = PretrainedLoader.Load(bn, PretrainedLoader.ReadTensors(Path.Combine(DataDir, "tiny_checkpoint.pth")));
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(5, report.Loaded);
        Assert.Equal([2f, 3f], bn.weight!.data<float>().ToArray());
    }

    [Fact]
    public void MissingFileNamesTheKey()
    {
        using var net = new ResNet(Backbone(18));
        var e = Assert.Throws<SegmenterException>(() => PretrainedLoader.LoadBackbone(net, "/nonexistent/r50.safetensors"));
        Assert.Contains("model.backbone.pretrained", e.Message);
    }

    [Fact]
    public void FactoryLoadsConfiguredPretrainedWeights()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, "r18.safetensors");
            using (var source = new ResNet(Backbone(18)))
            {
                var sd = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
                sd["conv1.weight"] = torch.full([64, 3, 7, 7], 0.5f);
                SafeTensors.Save(path, sd);
            }
            var cfg = TinyDeepLab() with { Backbone = TinyDeepLab().Backbone with { Pretrained = path } };
            using var model = Segmenter.Models.ModelFactory.Create(cfg);
            var report = Segmenter.Models.ModelFactory.LoadPretrained(model, cfg);
            Assert.NotNull(report);
            Assert.Empty(report!.Missing);
            Assert.Equal(0.5f, model.state_dict()["backbone.conv1.weight"].mean().item<float>(), 5);
            Assert.Null(Segmenter.Models.ModelFactory.LoadPretrained(model, TinyDeepLab()));
        }
        finally { Directory.Delete(dir, true); }
    }
}
