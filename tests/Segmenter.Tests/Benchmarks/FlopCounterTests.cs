using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Attention;
using Segmenter.Models.Backbones;
using Segmenter.Models.Segmentors;
using static Segmenter.Tests.Models.ModelTestUtil;
using Segmenter.Benchmarks;

namespace Segmenter.Tests.Benchmarks;

public class FlopCounterTests
{
    private static long BackboneMacs(MacReport r) => r.Entries.Where(e => e.Name.StartsWith("backbone.")).Sum(e => e.Macs);

    /// <summary>torchvision's model table (GFLOPS column = multiply-adds at 224x224): ResNet-18 1.81, ResNet-50 4.09;
    /// those include the fc layer (0.5 M / 2 M MACs), which our backbone has not.</summary>
    [Theory]
    [InlineData(18, 1.81e9)]
    [InlineData(50, 4.09e9)]
    public void PlainResNetMatchesTorchvisionFigures(int depth, double expected)
    {
        var cfg = TinyDeepLab() with { Backbone = Backbone(depth, 32) };
        using var model = ModelFactory.Create(cfg);
        var r = FlopCounter.Count(model, cfg, 224, 224);
        Assert.InRange(BackboneMacs(r), 0.995 * expected, 1.005 * expected);
        Assert.Equal(0, r.Attention);
    }

    [Fact]
    public void PsaMacsFollowTheOfficialModules()
    {
        const long c = 64, inter = 32, n = 8 * 8;
        long shared = n * (c + 3 * c * inter) + 2 * inter * n; // four 1x1 convs at H·W + two inter×HW products
        using var p = new PolarizedSelfAttentionParallel(64, 64);
        Assert.Equal(shared + inter * c, FlopCounter.PsaOfficialMacs(p, 8, 8));
        using var s = new PolarizedSelfAttentionSequential(64, 64);
        Assert.Equal(shared + inter * (inter / 4) + (inter / 4) * c, FlopCounter.PsaOfficialMacs(s, 8, 8));
    }

    /// <summary>What PsaBranches computes: the 1x1 convs that commute with the H·W reductions run on pooled vectors.</summary>
    [Fact]
    public void PsaMacsCountTheReorderedEvaluation()
    {
        const long c = 64, inter = 32, n = 8 * 8;
        long channelGate = 2 * c * n + c * inter; // conv_q_right and x·mask per position, conv_v_right on the pooled vector
        using var p = new PolarizedSelfAttentionParallel(64, 64);
        Assert.Equal(channelGate + inter * c + c * inter + inter * c + c * n, FlopCounter.PsaMacs(p, 8, 8));
        using var s = new PolarizedSelfAttentionSequential(64, 64);
        long up = inter * (inter / 4) + (inter / 4) * c;
        Assert.Equal(channelGate + up + c * inter + c * inter * n + inter * n, FlopCounter.PsaMacs(s, 8, 8));
        Assert.True(FlopCounter.PsaMacs(s, 8, 8) < FlopCounter.PsaOfficialMacs(s, 8, 8) / 2);
    }

    [Fact]
    public void DeepLabHeadsAreCountedAtTheirFeatureSizes()
    {
        // TinyDeepLab at 64x64: ResNet-18 OS8, layer4 8x8 (512 ch), layer1 16x16 (64 ch), layer3 8x8 (256 ch);
        // head channels 32, dilations [1, 2, 3], c1 8 channels, 5 classes; FCN aux 16 channels.
        var cfg = TinyDeepLab();
        using var model = ModelFactory.Create(cfg);
        var r = FlopCounter.Count(model, cfg, 64, 64);
        long x = 64, c1 = 256;
        long decode = 512 * 32                                   // image pool 1x1 conv on the pooled 1x1 map
                      + x * 512 * 32                             // ASPP 1x1 branch
                      + 2 * (x * 512 * 9 + x * 512 * 32)         // two separable 3x3 branches
                      + x * (4 * 32) * 32 * 9                    // bottleneck 3x3 over the concat
                      + c1 * 64 * 8                              // c1_bottleneck
                      + c1 * 40 * 9 + c1 * 40 * 32               // sep_bottleneck.0 (32 + 8 channels in)
                      + c1 * 32 * 9 + c1 * 32 * 32               // sep_bottleneck.1
                      + c1 * 32 * 5;                             // conv_seg
        long aux = x * 256 * 16 * 9 + x * 16 * 5;
        Assert.Equal(decode, r.Entries.Single(e => e.Name == "decode_head").Macs);
        Assert.Equal(aux, r.Entries.Single(e => e.Name == "auxiliary_head").Macs);
        Assert.Equal(r.Total - aux, r.Inference);
    }

    [Theory]
    [InlineData("parallel")]
    [InlineData("sequential")]
    public void PsaAddsExactlyItsBlocksMacs(string layout)
    {
        var plainCfg = TinyDeepLab();
        var psaCfg = plainCfg with { Backbone = Backbone(18, 8, attention: "psa", layout: layout) };
        using var plain = ModelFactory.Create(plainCfg);
        using var psa = ModelFactory.Create(psaCfg);
        var a = FlopCounter.Count(plain, plainCfg, 64, 64);
        var b = FlopCounter.Count(psa, psaCfg, 64, 64);
        Assert.Equal(a.Total + b.Attention, b.Total);
        // ResNet-18 OS8 at 64x64: layer1 16x16 (64 ch), layer2..4 8x8 (128, 256, 512 ch), two blocks each.
        var resnet = (ResNet)((EncoderDecoder)psa).Backbone;
        long expected = 0;
        int[] side = [16, 8, 8, 8];
        for (int i = 0; i < 4; i++)
            foreach (var block in resnet.Stages[i].children())
                expected += FlopCounter.PsaMacs(block.named_children().Single(c => c.name == "deattn").module, side[i], side[i]);
        Assert.Equal(expected, b.Attention);
        Assert.True(b.Attention > 0);
    }

    /// <summary>One axial attention on an H×W map: qkv 1×1 (in·2·out per position) and, per line of N positions,
    /// q·k, q·r_q, k·r_k (N²·out/2 each) and attn·v, attn·r_v (N²·out each).</summary>
    [Theory]
    [InlineData(16, 32, 8, 12, 20, false)]
    [InlineData(16, 32, 8, 12, 20, true)]
    public void AxialAttentionMacsCountTheProjectionAndTheFiveProducts(int inPlanes, int outPlanes, int groups, int h, int w, bool width)
    {
        using var a = new AxialAttention(inPlanes, outPlanes, groups, kernel_size: Math.Max(h, w), width: width);
        long n = width ? w : h, lines = width ? h : w;
        long expected = (long)h * w * inPlanes * 2 * outPlanes + lines * n * n * (3 * outPlanes / 2 + 2 * outPlanes);
        Assert.Equal(expected, FlopCounter.AxialAttentionMacs(a, h, w));
    }

    /// <summary>Panoptic-DeepLab on an Axial-ResNet counts without a forward: entries add up, the attention of every
    /// block is inside the backbone's stages, and the 1x1 projection of both decoders is counted at the OS16 feature.</summary>
    [Theory]
    [InlineData(64, 64)]
    public void PanopticAxialModelCountsAllParts(int h, int w)
    {
        var cfg = new ModelConfig
        {
            Type = "panoptic_deeplab",
            NumClasses = 5,
            Backbone = new BackboneConfig { Type = "axial_resnet", Depth = 26, OutputStride = 16, Axial = new AxialConfig { Width = "s" } },
            Panoptic = new PanopticConfig { UseAspp = false, DecoderChannels = 32, InstanceDecoderChannels = 16, InstanceAsppChannels = 32,
                LowLevelChannelsProject = [16, 8], InstanceLowLevelChannelsProject = [8, 4], InstanceHeadChannels = 8 },
        };
        using var model = ModelFactory.Create(cfg, Math.Max(h, w));
        var r = FlopCounter.Count(model, cfg, h, w);
        Assert.Equal(r.Entries.Sum(e => e.Macs), r.Inference);
        Assert.Equal(r.Total, r.Inference);
        Assert.True(r.Attention > 0 && r.Attention < BackboneMacs(r));
        // Both decoders' aspp is one 1x1 conv 512s -> aspp channels at OS16.
        long feature = (long)(h / 16) * (w / 16) * 512 * cfg.Panoptic.InstanceAsppChannels;
        Assert.True(r.Entries.Single(e => e.Name == "decoder.instance_decoder").Macs > feature);
        Assert.Equal(["backbone.stem", "backbone.layer1", "backbone.layer2", "backbone.layer3", "backbone.layer4",
            "decoder.semantic_decoder", "decoder.semantic_head", "decoder.instance_decoder", "decoder.instance_head"], r.Entries.Select(e => e.Name));
    }
}
