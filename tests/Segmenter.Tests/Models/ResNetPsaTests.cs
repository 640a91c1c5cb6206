using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static Segmenter.Tests.Models.ModelTestUtil;

namespace Segmenter.Tests.Models;

/// <summary>PSA inside ResNet blocks. Needs the real PSA modules (Models/Attention), so it passes only after the merge.</summary>
public class ResNetPsaTests
{
    [Fact]
    public void BasicBlocksGetParallelPsaAfterConv1()
    {
        using var net = new ResNet(Backbone(18, attention: "psa", layout: "parallel"));
        var sd = net.state_dict();
        Assert.Equal([1L, 64, 1, 1], sd["layer1.0.deattn.conv_q_right.weight"].shape);
        Assert.Equal([256L, 512, 1, 1], sd["layer4.1.deattn.conv_v_left.weight"].shape);
        int blocks = net.Stages.Sum(s => s.children().Count());
        Assert.Equal(blocks, sd.Keys.Where(k => k.EndsWith(".deattn.conv_q_right.weight")).Count());
        // Everything else is still exactly torchvision's.
        Assert.Equal(ReadKeyList("torchvision_resnet18_keys.txt").Select(e => e.Name).Order(StringComparer.Ordinal),
            sd.Keys.Where(k => !k.Contains(".deattn.")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void BottlenecksGetSequentialPsaOnWidth()
    {
        using var net = new ResNet(Backbone(50, attention: "psa", layout: "sequential"));
        var sd = net.state_dict();
        Assert.Equal([256L, 512, 1, 1], sd["layer4.2.deattn.conv_v_right.weight"].shape);
        Assert.Equal([64L, 256, 1, 1], sd["layer4.2.deattn.conv_up.0.weight"].shape);
        Assert.Equal([64L, 8, 1, 1], sd["layer1.0.deattn.conv_up.3.weight"].shape);
    }

    [Fact]
    public void PsaResNetForwardKeepsShapes()
    {
        using var net = new ResNet(Backbone(18, 8, attention: "psa"));
        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var outs = net.forward(torch.randn(1, 3, 64, 64));
        Assert.Equal([1L, 512, 8, 8], outs[3].shape);
    }

    [Fact]
    public void PlainImageNetWeightsLeaveOnlyPsaNewlyInitialised()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, "r18.safetensors");
            using (var plain = new ResNet(Backbone(18))) SafeTensors.Save(path, plain.state_dict());
            using var net = new ResNet(Backbone(18, 8, attention: "psa", layout: "sequential"));
            var report = PretrainedLoader.LoadBackbone(net, path);
            Assert.NotEmpty(report.Missing);
            Assert.All(report.Missing, k => Assert.Contains(".deattn.", k));
            Assert.Empty(report.Unexpected);
            Assert.Empty(report.ShapeMismatch);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PsaDeepLabTrainsOneStep()
    {
        using var model = ModelFactory.Create(TinyDeepLab(attention: "psa"));
        using var scope = NewDisposeScope();
        model.train();
        var losses = model.ComputeLosses(torch.randn(2, 3, 64, 64), torch.randint(0, 5, [2, 64, 64], dtype: ScalarType.Int64));
        var total = losses.Values.Aggregate((a, b) => a + b);
        total.backward();
        Assert.True(float.IsFinite(total.item<float>()));
        var g = model.named_parameters().First(p => p.name == "backbone.layer1.0.deattn.conv_q_left.weight").parameter.grad;
        Assert.NotNull(g);
        Assert.False(g!.isnan().any().item<bool>());
    }
}
