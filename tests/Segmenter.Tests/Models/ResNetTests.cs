using Segmenter.Config;
using Segmenter.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static Segmenter.Tests.Models.ModelTestUtil;

namespace Segmenter.Tests.Models;

public class ResNetTests
{
    [Theory]
    [InlineData(18, "torchvision_resnet18_keys.txt")]
    [InlineData(50, "torchvision_resnet50_keys.txt")]
    public void StateDictEqualsTorchvisionWithoutFc(int depth, string file)
    {
        using var net = new ResNet(Backbone(depth));
        // Same names and shapes; order is not compared (TorchSharp lists parameters before buffers).
        var expected = ReadKeyList(file).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var actual = KeysOf(net).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(e => e.Name), actual.Select(a => a.Name));
        foreach (var ((name, es), (_, acs)) in expected.Zip(actual))
            Assert.True(es.SequenceEqual(acs), $"{name}: expected [{string.Join(",", es)}], got [{string.Join(",", acs)}]");
    }

    // MMSegmentation's ResNet stem_channels (default 64): deep stem stem_channels/2, stem_channels/2, stem_channels and
    // layer1 reads stem_channels (mmseg inplanes); 128 is Detectron2's DeepLabStem (STEM_OUT_CHANNELS 128) of R52.
    [Fact]
    public void StemChannelsSizesTheStemAndLayer1sInputAsMmseg()
    {
        Assert.Equal(64, new BackboneConfig().StemChannels);
        using var r52 = new ResNet(Backbone(50, 16, deepStem: true) with { StemChannels = 128 });
        var sd = r52.state_dict();
        Assert.Equal([64L, 3, 3, 3], sd["stem.0.weight"].shape);
        Assert.Equal([64L, 64, 3, 3], sd["stem.3.weight"].shape);
        Assert.Equal([128L, 64, 3, 3], sd["stem.6.weight"].shape);
        Assert.Equal([128L], sd["stem.7.running_mean"].shape);
        Assert.Equal([64L, 128, 1, 1], sd["layer1.0.conv1.weight"].shape);
        Assert.Equal([256L, 128, 1, 1], sd["layer1.0.downsample.0.weight"].shape);
        using var wide7 = new ResNet(Backbone(18) with { StemChannels = 32 });
        var sd7 = wide7.state_dict();
        Assert.Equal([32L, 3, 7, 7], sd7["conv1.weight"].shape);
        Assert.Equal([64L, 32, 3, 3], sd7["layer1.0.conv1.weight"].shape);
        Assert.Equal([64L, 32, 1, 1], sd7["layer1.0.downsample.0.weight"].shape);  // BasicBlock: 32 != 64 needs a projection, as mmseg
        using var x = torch.randn(1, 3, 64, 64);
        var outs = r52.forward(x);
        Assert.Equal([1L, 2048, 4, 4], outs[3].shape);
        foreach (var o in outs) o.Dispose();
    }

    [Fact]
    public void DeepStemUsesMmsegStemNamesAndNoConv1()
    {
        using var net = new ResNet(Backbone(50, deepStem: true));
        var sd = net.state_dict();
        Assert.Equal([32L, 3, 3, 3], sd["stem.0.weight"].shape);
        Assert.Equal([32L], sd["stem.1.running_var"].shape);
        Assert.Equal([32L, 32, 3, 3], sd["stem.3.weight"].shape);
        Assert.Equal([32L], sd["stem.4.weight"].shape);
        Assert.Equal([64L, 32, 3, 3], sd["stem.6.weight"].shape);
        Assert.Equal([64L], sd["stem.7.bias"].shape);
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith("conv1.") || k.StartsWith("bn1.") || k.StartsWith("stem.2") || k.StartsWith("stem.8"));
        var rest = ReadKeyList("torchvision_resnet50_keys.txt").Where(e => !e.Name.StartsWith("conv1.") && !e.Name.StartsWith("bn1.")).Select(e => e.Name).Order(StringComparer.Ordinal);
        Assert.Equal(rest, sd.Keys.Where(k => !k.StartsWith("stem.")).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(32, new[] { 16, 8, 4, 2 })]
    [InlineData(16, new[] { 16, 8, 4, 4 })]
    [InlineData(8, new[] { 16, 8, 8, 8 })]
    public void OutputStrideSetsFeatureSizes(int os, int[] sizes)
    {
        using var net = new ResNet(Backbone(18, os));
        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var outs = net.forward(torch.randn(1, 3, 64, 64));
        Assert.Equal(4, outs.Length);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal([1L, net.OutChannels[i], sizes[i], sizes[i]], outs[i].shape);
            Assert.Equal(64 / sizes[i], net.OutStrides[i]);
        }
        Assert.Equal([64, 128, 256, 512], net.OutChannels);
    }

    [Fact]
    public void DeepStemForwardKeepsStrides()
    {
        using var net = new ResNet(Backbone(18, 8, deepStem: true));
        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var outs = net.forward(torch.randn(1, 3, 64, 64));
        Assert.Equal([1L, 64, 16, 16], outs[0].shape);
        Assert.Equal([1L, 512, 8, 8], outs[3].shape);
    }

    private static int[][] Dilations(ResNet net) => net.Stages
        .Select(s => s.children().Select(b => b switch { Bottleneck bb => bb.Dilation, BasicBlock b2 => b2.Dilation, _ => -1 }).ToArray())
        .ToArray();

    [Fact]
    public void ContractDilationFollowsTorchvisionReplaceStrideWithDilation()
    {
        // mmseg contract_dilation=True (the d8 configs) builds what torchvision's replace_stride_with_dilation builds.
        using var os8 = new ResNet(Backbone(50, 8, contractDilation: true));
        var d8 = Dilations(os8);
        Assert.Equal([1, 1, 1], d8[0]);
        Assert.Equal([1, 1, 1, 1], d8[1]);
        Assert.Equal([1, 2, 2, 2, 2, 2], d8[2]);
        Assert.Equal([2, 4, 4], d8[3]);
        Assert.All(os8.Stages[2].children().Concat(os8.Stages[3].children()), b => Assert.Equal(1, ((Bottleneck)b).Stride));
        Assert.Equal(2, ((Bottleneck)os8.Stages[1].children().First()).Stride);

        // multi_grid is MMSegmentation's: the dilations of layer4's blocks themselves (mmseg ResLayer), not multipliers.
        using var os16 = new ResNet(Backbone(50, 16, multiGrid: [2, 4, 8], contractDilation: true));
        var d16 = Dilations(os16);
        Assert.Equal([1, 1, 1, 1, 1, 1], d16[2]);
        Assert.Equal([2, 4, 8], d16[3]);
        using var os8grid = new ResNet(Backbone(50, 8, multiGrid: [1, 2, 4], contractDilation: true));
        Assert.Equal([1, 2, 4], Dilations(os8grid)[3]);
        Assert.Equal([1, 2, 2, 2, 2, 2], Dilations(os8grid)[2]);
        Assert.Equal(2, ((Bottleneck)os16.Stages[2].children().First()).Stride);
        // The dilated stage's downsample keeps stride 1 (shape only tells channels; the 1/16 size is checked by forward tests).
    }

    // MMSegmentation's ResNet default contract_dilation=False (the PSA repository's trunk): every block of a dilated
    // stage, the first included, has the stage's dilation; multi_grid still replaces layer4's; only dilated stages change.
    [Theory]
    [InlineData(50, 8, new[] { 1, 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 2, 2, 2, 2, 2, 2 }, new[] { 4, 4, 4 })]
    [InlineData(50, 16, new[] { 1, 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1, 1, 1, 1, 1 }, new[] { 2, 2, 2 })]
    [InlineData(50, 32, new[] { 1, 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1, 1, 1, 1, 1 }, new[] { 1, 1, 1 })]
    [InlineData(18, 8, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2 }, new[] { 4, 4 })]
    public void WithoutContractDilationEveryBlockHasTheStageDilation(int depth, int os, int[] l1, int[] l2, int[] l3, int[] l4)
    {
        using var net = new ResNet(Backbone(depth, os));
        Assert.False(Backbone(depth, os).ContractDilation);
        var d = Dilations(net);
        Assert.Equal(l1, d[0]);
        Assert.Equal(l2, d[1]);
        Assert.Equal(l3, d[2]);
        Assert.Equal(l4, d[3]);
        using var grid = new ResNet(Backbone(50, 8, multiGrid: [1, 2, 4]));
        Assert.Equal([1, 2, 4], Dilations(grid)[3]);
    }

    [Theory]
    [InlineData(8, 64, new[] { 16, 8, 8, 8 })]
    [InlineData(16, 64, new[] { 16, 8, 4, 4 })]
    public void WithoutContractDilationTheFeatureSizesAreTheOutputStrides(int os, int side, int[] sizes)
    {
        using var net = new ResNet(Backbone(18, os));
        net.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var outs = net.forward(torch.randn(1, 3, side, side));
        for (int i = 0; i < 4; i++) Assert.Equal([1L, net.OutChannels[i], sizes[i], sizes[i]], outs[i].shape);
        // Same weights, other dilations: layer1/layer2 agree, layer3 (OS8) or layer4 differ from the contracted trunk.
        using var contracted = new ResNet(Backbone(18, os, contractDilation: true));
        contracted.load_state_dict(net.state_dict());
        contracted.eval();
        var x = torch.randn(1, 3, side, side);
        var a = net.forward(x);
        var b = contracted.forward(x);
        Assert.True(a[1].allclose(b[1]));
        Assert.False(a[3].allclose(b[3]));
    }

    [Fact]
    public void PlainBlocksHaveNoAttentionKeys()
    {
        using var net = new ResNet(Backbone(18));
        Assert.DoesNotContain(net.state_dict().Keys, k => k.Contains("deattn"));
    }

    [Fact]
    public void BatchNormSettingsAndInitFollowConfig()
    {
        using var net = new ResNet(Backbone(18) with { ZeroInitResidual = true }, bnMomentum: 0.01, bnEps: 1e-3);
        var bn = net.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm>().ToList();
        Assert.NotEmpty(bn);
        Assert.All(bn, b => { Assert.Equal(0.01, b.momentum!.Value, 9); Assert.Equal(1e-3, b.eps, 9); });
        var sd = net.state_dict();
        Assert.Equal(0f, sd["layer1.0.bn2.weight"].abs().sum().item<float>());
        Assert.Equal(64f, sd["layer1.0.bn1.weight"].sum().item<float>());
        // kaiming normal fan_out: std = sqrt(2 / (out * k * k)) = sqrt(2 / (64*49)) for conv1.
        double std = sd["conv1.weight"].std().item<float>();
        Assert.InRange(std, 0.8 * Math.Sqrt(2.0 / (64 * 49)), 1.2 * Math.Sqrt(2.0 / (64 * 49)));
    }

    // Values are validated once, when the config loads (ConfigValidator), not again by the ResNet constructor.
    [Theory]
    [InlineData("depth: 20", "model.backbone.depth")]
    [InlineData("output_stride: 4", "model.backbone.output_stride")]
    [InlineData("depth: 18\n    multi_grid: [1, 2, 4]", "model.backbone.multi_grid")] // ResNet-18's layer4 has 2 blocks
    [InlineData("attention:\n      type: cbam", "model.backbone.attention.type")]
    public void BadConfigNamesTheKey(string backboneYaml, string key)
    {
        var e = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText($"model:\n  backbone:\n    {backboneYaml}\n", "t.yaml"));
        Assert.Contains(key, e.Message);
    }
}
