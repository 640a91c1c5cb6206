using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Attention;
using Segmenter.Models.Backbones;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

public class AxialResNetTests
{
    private static BackboneConfig Axial(string width, string stem = "inception", int os = 16) =>
        new() { Type = "axial_resnet", OutputStride = os, Axial = new AxialConfig { Width = width, Stem = stem } };

    [Theory]
    [InlineData("s", 128)]
    [InlineData("m", 192)]
    [InlineData("l", 256)]
    public void WidthsAndStridesFollowTheChannelPlan(string width, int c1)
    {
        using var net = new AxialResNet(Axial(width), 64);
        Assert.Equal([c1, 2 * c1, 4 * c1, 8 * c1], net.OutChannels);
        Assert.Equal([4, 8, 16, 16], net.OutStrides);
        // Inception stem: 64 -> 32 at layer1's input; each stage's first block sees the previous stage's output size.
        Assert.Equal([32, 16, 8, 4], net.KernelSizes);
        var sd = net.state_dict();
        // deeplab2 stem_width_multiplier 1.0: the inception stem is 64/64/128 for every width.
        Assert.Equal([64L, 3, 3, 3], sd["stem.0.weight"].shape);
        Assert.Equal([128L, 64, 3, 3], sd["stem.6.weight"].shape);
        Assert.Equal([(long)c1 / 2, 128, 1, 1], sd["layer1.0.conv_down.weight"].shape);
        Assert.Equal([(long)c1, c1 / 2, 1], sd["layer1.0.hight_block.qkv_transform.weight"].shape);  // attention width 128s
    }

    [Fact]
    public void ParameterNamesAndCountsScaleWithWidth()
    {
        using var s = new AxialResNet(Axial("s"), 64);
        using var l = new AxialResNet(Axial("l"), 64);
        var sd = s.state_dict();
        // Official names: hight_block (sic), width_block, relative [2·gp, 2K−1], downsample.0/.1, conv_up/bn2.
        Assert.Equal([16L, 63], sd["layer1.0.hight_block.relative"].shape);     // gp = 64/8 = 8, K = 32
        Assert.Equal([16L, 31], sd["layer1.1.width_block.relative"].shape);     // K = 16 after the stride
        Assert.Equal([256L, 128, 1, 1], sd["layer2.0.downsample.0.weight"].shape);
        Assert.True(sd.ContainsKey("layer4.2.bn2.running_mean"));
        double ratio = (double)l.parameters().Sum(p => p.numel()) / s.parameters().Sum(p => p.numel());
        Assert.InRange(ratio, 3.5, 4.1);   // channels ×2 -> about ×4 parameters
    }

    [Fact]
    public void ForwardGivesStagesAtTheirStridesAndAcceptsSmallerInputs()
    {
        manual_seed(0);
        using var net = new AxialResNet(Axial("s"), 64);
        net.eval();
        using var x = randn(1, 3, 64, 32);       // smaller than the configured input size along W
        var feats = net.forward(x);
        Assert.Equal([1L, 128, 16, 8], feats[0].shape);
        Assert.Equal([1L, 256, 8, 4], feats[1].shape);
        Assert.Equal([1L, 512, 4, 2], feats[2].shape);
        Assert.Equal([1L, 1024, 4, 2], feats[3].shape);
        using var big = randn(1, 3, 96, 32);
        Assert.Throws<SegmenterException>(() => net.forward(big));
    }

    [Fact]
    public void Conv7StemAndOutputStride32()
    {
        using var net = new AxialResNet(Axial("s", "conv7", 32), 64);
        Assert.Equal([4, 8, 16, 32], net.OutStrides);
        Assert.Equal([16, 16, 8, 4], net.KernelSizes);
        Assert.True(net.state_dict().ContainsKey("conv1.weight"));
        using var y = net.forward(randn(1, 3, 64, 64))[3];
        Assert.Equal([1L, 1024, 2, 2], y.shape);
    }

    [Fact]
    public void FactoryNeedsAnInputSize()
    {
        var cfg = new ModelConfig { Backbone = Axial("s") };
        Assert.Throws<SegmenterException>(() => ModelFactory.CreateBackbone(cfg));
        using var b = ModelFactory.CreateBackbone(cfg, 64);
        Assert.IsType<AxialResNet>(b);
    }

    [Fact]
    public void AttentionOnShorterAxisEqualsModuleWithTheCentralTable()
    {
        manual_seed(1);
        using var big = new AxialAttention(16, 16, groups: 2, kernel_size: 8);
        using var small = new AxialAttention(16, 16, groups: 2, kernel_size: 5);
        var bigSd = big.state_dict();
        using (no_grad())
            foreach (var (name, t) in small.state_dict())
                if (name == "relative") t.copy_(bigSd[name][.., 3..12]);       // offsets −4..4 sit at K−1−4 .. K−1+4
                else if (name != "flatten_index") t.copy_(bigSd[name]);
        big.eval(); small.eval();
        using var x = randn(2, 16, 5, 3);
        using var a = big.forward(x);
        using var b = small.forward(x);
        Assert.True(allclose(a, b, 1e-5, 1e-5));
    }

    [Fact]
    public void LocalSpanIgnoresFarKeysAndFullSpanIsGlobal()
    {
        manual_seed(2);
        using var global = new AxialAttention(16, 16, groups: 2, kernel_size: 6);
        using var wide = new AxialAttention(16, 16, groups: 2, kernel_size: 6, span: 11);
        using var local = new AxialAttention(16, 16, groups: 2, kernel_size: 6, span: 3);
        using (no_grad())
            foreach (var (name, t) in global.state_dict())
            {
                wide.state_dict()[name].copy_(t);
                local.state_dict()[name].copy_(t);
            }
        global.eval(); wide.eval(); local.eval();
        using var x = randn(1, 16, 6, 2);
        Assert.True(allclose(global.forward(x), wide.forward(x), 1e-5, 1e-5));
        // Height attention with span 3: output row 0 depends on rows 0..1 only; a longer axis than kernel_size is allowed.
        using var y = x.clone();
        y[.., .., 4..] += 5;
        Assert.True(allclose(local.forward(x)[.., .., 0], local.forward(y)[.., .., 0], 1e-5, 1e-5));
        Assert.False(allclose(global.forward(x)[.., .., 0], global.forward(y)[.., .., 0], 1e-5, 1e-5));
        using var longer = randn(1, 16, 9, 2);
        Assert.Equal([1L, 16, 9, 2], local.forward(longer).shape);
        Assert.Throws<SegmenterException>(() => global.forward(longer));
    }
}

public class BlockBenchmarkTests
{
    [Fact]
    public void ComparesAxialAndConvBottlenecks()
    {
        var r = Segmenter.Benchmarks.BlockBenchmark.Run(width: 16, size: 4, batch: 1, iters: 1, warmup: 0);
        Assert.Equal(["axial", "conv3x3"], r.Select(x => x.Name));
        Assert.All(r, x => Assert.True(x.StepSeconds > 0));
        // The attention pair has fewer weights than the 3x3 conv it replaces (w=16: 2·(2w·w + BN) + tables vs 9·w²).
        Assert.True(r[0].Parameters < r[1].Parameters);
    }
}
