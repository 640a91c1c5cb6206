using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static Segmenter.Tests.Models.ModelTestUtil;
using Segmenter.Checkpoints;

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

    /// <summary>(depth, os, layout): every block of every stage carries `deattn` on its width (planes), at OS 8 and 16.</summary>
    public static TheoryData<int, int, string> DepthsAndStrides()
    {
        var data = new TheoryData<int, int, string>();
        foreach (var depth in new[] { 18, 34, 50, 101 })
            foreach (var os in new[] { 8, 16 })
                foreach (var layout in new[] { "parallel", "sequential" })
                    data.Add(depth, os, layout);
        return data;
    }

    [Theory]
    [MemberData(nameof(DepthsAndStrides))]
    public void EveryBlockOfEveryStageHasPsaOnItsWidth(int depth, int os, string layout)
    {
        using var net = new ResNet(Backbone(depth, os, attention: "psa", layout: layout));
        var sd = net.state_dict();
        var keys = sd.Keys.ToHashSet();
        int[] blocks = depth switch { 18 => [2, 2, 2, 2], 34 or 50 => [3, 4, 6, 3], _ => [3, 4, 23, 3] };
        for (int stage = 0; stage < 4; stage++)
        {
            Assert.Equal(blocks[stage], net.Stages[stage].children().Count());
            long width = 64L << stage; // planes: BasicBlock conv1 output, Bottleneck conv2 output
            for (int i = 0; i < blocks[stage]; i++)
            {
                var prefix = $"layer{stage + 1}.{i}.deattn.";
                Assert.Equal([1L, width, 1, 1], sd[prefix + "conv_q_right.weight"].shape);
                Assert.Equal([width / 2, width, 1, 1], sd[prefix + "conv_v_left.weight"].shape);
                if (layout == "parallel")
                    Assert.Equal([width, width / 2, 1, 1], sd[prefix + "conv_up.weight"].shape);
                else
                    Assert.Equal([width, width / 8, 1, 1], sd[prefix + "conv_up.3.weight"].shape);
            }
        }
        int total = blocks.Sum();
        int perBlock = layout == "parallel" ? 5 : 10; // p: 5 bias-free convs; s: 4 convs + conv_up (2 convs w/ bias, LN w/ bias)
        Assert.Equal(total * perBlock, keys.Count(k => k.Contains(".deattn.")));
    }

    [Theory]
    [InlineData(18, 8, "parallel")]
    [InlineData(18, 16, "sequential")]
    [InlineData(34, 8, "sequential")]
    [InlineData(34, 16, "parallel")]
    [InlineData(50, 8, "parallel")]
    [InlineData(50, 16, "sequential")]
    public void PsaForwardKeepsEveryStageShape(int depth, int os, string layout)
    {
        using var net = new ResNet(Backbone(depth, os, attention: "psa", layout: layout));
        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var outs = net.forward(torch.randn(1, 3, 64, 64));
        int e = depth >= 50 ? 4 : 1;
        long[] sizes = os == 8 ? [16, 8, 8, 8] : [16, 8, 4, 4];
        for (int i = 0; i < 4; i++)
            Assert.Equal([1L, (64L << i) * e, sizes[i], sizes[i]], outs[i].shape);
        Assert.All(outs, o => Assert.False(o.isnan().any().item<bool>()));
    }

    /// <summary>
    /// A torchvision checkpoint (names and shapes from torchvision itself, plus its `fc`) fills every ResNet tensor of a
    /// PSA backbone; exactly the PSA tensors are reported as newly initialised, nothing unexpected or mismatched.
    /// </summary>
    [Theory]
    [InlineData(18, "torchvision_resnet18_keys.txt", "parallel")]
    [InlineData(50, "torchvision_resnet50_keys.txt", "sequential")]
    public void TorchvisionWeightsFillEveryResNetTensorAndOnlyPsaIsNew(int depth, string keyFile, string layout)
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, $"resnet{depth}.safetensors");
            var torchvision = ReadKeyList(keyFile);
            var file = new Dictionary<string, Tensor>();
            foreach (var (name, shape) in torchvision)
                file[name] = name.EndsWith("num_batches_tracked") ? torch.tensor(7L) : torch.full(shape, 0.25f);
            file["fc.weight"] = torch.zeros(1000, 512 * (depth >= 50 ? 4 : 1));
            file["fc.bias"] = torch.zeros(1000);
            SafeTensors.Save(path, file);
            foreach (var t in file.Values) t.Dispose();

            using var net = new ResNet(Backbone(depth, 8, attention: "psa", layout: layout));
            var psaKeys = net.state_dict().Keys.Where(k => k.Contains(".deattn.")).Order(StringComparer.Ordinal).ToList();
            var report = PretrainedLoader.LoadBackbone(net, path);
            Assert.Equal(psaKeys, report.Missing.Order(StringComparer.Ordinal));
            Assert.Empty(report.Unexpected);
            Assert.Empty(report.ShapeMismatch);
            Assert.Equal(["fc.bias", "fc.weight"], report.Ignored.Order(StringComparer.Ordinal));
            Assert.Equal(torchvision.Count, report.Loaded);
            var sd = net.state_dict();
            foreach (var (name, _) in torchvision.Where(e => !e.Name.EndsWith("num_batches_tracked")))
                Assert.Equal(0.25f, sd[name].mean().item<float>(), 6);
            Assert.Contains($"newly initialised (not in file) {psaKeys.Count}", report.Summary());
        }
        finally { Directory.Delete(dir, true); }
    }
}
