using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;
using static Segmenter.Tests.Models.ModelTestUtil;

namespace Segmenter.Tests.Models;

public class EncoderDecoderTests
{
    [Fact]
    public void DefaultDeepLabV3PlusHasMmsegNamesAndShapes()
    {
        // Defaults: R50 OS8, channels 512, dilations 1/12/24/36, c1 48, aux FCN 256 on layer3 (REFERENCE 2.1, 4.4).
        using var model = ModelFactory.Create(new ModelConfig { NumClasses = 21, Backbone = new BackboneConfig { ContractDilation = true } });
        var sd = model.state_dict();
        void Has(string key, params long[] shape) { Assert.True(sd.ContainsKey(key), key); Assert.Equal(shape, sd[key].shape); }
        Has("backbone.conv1.weight", 64, 3, 7, 7);
        Has("backbone.layer4.2.conv3.weight", 2048, 512, 1, 1);
        Has("decode_head.image_pool.1.conv.weight", 512, 2048, 1, 1);
        Has("decode_head.image_pool.1.bn.running_mean", 512);
        Has("decode_head.image_pool.1.bn.num_batches_tracked");
        Has("decode_head.aspp_modules.0.conv.weight", 512, 2048, 1, 1);
        for (int i = 1; i <= 3; i++)
        {
            Has($"decode_head.aspp_modules.{i}.depthwise_conv.conv.weight", 2048, 1, 3, 3);
            Has($"decode_head.aspp_modules.{i}.depthwise_conv.bn.weight", 2048);
            Has($"decode_head.aspp_modules.{i}.pointwise_conv.conv.weight", 512, 2048, 1, 1);
            Has($"decode_head.aspp_modules.{i}.pointwise_conv.bn.bias", 512);
        }
        Has("decode_head.bottleneck.conv.weight", 512, 2560, 3, 3);
        Has("decode_head.bottleneck.bn.running_var", 512);
        Has("decode_head.c1_bottleneck.conv.weight", 48, 256, 1, 1);
        Has("decode_head.sep_bottleneck.0.depthwise_conv.conv.weight", 560, 1, 3, 3);
        Has("decode_head.sep_bottleneck.0.pointwise_conv.conv.weight", 512, 560, 1, 1);
        Has("decode_head.sep_bottleneck.1.depthwise_conv.conv.weight", 512, 1, 3, 3);
        Has("decode_head.conv_seg.weight", 21, 512, 1, 1);
        Has("decode_head.conv_seg.bias", 21);
        Has("auxiliary_head.convs.0.conv.weight", 256, 1024, 3, 3);
        Has("auxiliary_head.convs.0.bn.weight", 256);
        Has("auxiliary_head.conv_seg.weight", 21, 256, 1, 1);
        // ConvModule convs followed by BN have no bias; no stray modules.
        Assert.DoesNotContain(sd.Keys, k => k.EndsWith(".conv.bias"));
        Assert.All(sd.Keys, k => Assert.True(k.StartsWith("backbone.") || k.StartsWith("decode_head.") || k.StartsWith("auxiliary_head."), k));
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith("auxiliary_head.conv_cat"));
    }

    [Fact]
    public void TinyDeepLabLogitsAndLossesHaveTheRightShapes()
    {
        using var model = ModelFactory.Create(TinyDeepLab());
        var sd = model.state_dict();
        Assert.Equal([512L, 1, 3, 3], sd["decode_head.aspp_modules.1.depthwise_conv.conv.weight"].shape);
        Assert.Equal([32L, 4 * 32, 3, 3], sd["decode_head.bottleneck.conv.weight"].shape);
        Assert.Equal([8L, 64, 1, 1], sd["decode_head.c1_bottleneck.conv.weight"].shape);
        Assert.Equal([16L, 256, 3, 3], sd["auxiliary_head.convs.0.conv.weight"].shape);

        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        var images = torch.randn(2, 3, 64, 64);
        var labels = torch.randint(0, 5, [2, 64, 64], dtype: ScalarType.Int64);
        labels[0, 0, 0] = torch.tensor(255L);
        model.train();
        var losses = model.ComputeLosses(images, labels);
        Assert.Equal(["aux.loss_ce", "decode.loss_ce"], losses.Keys.Order());
        foreach (var l in losses.Values) Assert.True(float.IsFinite(l.item<float>()) && l.item<float>() > 0);
        var total = losses.Values.Aggregate((a, b) => a + b);
        total.backward();
        var g = model.named_parameters().First(p => p.name == "decode_head.conv_seg.weight").parameter.grad;
        Assert.NotNull(g);
        Assert.True(g!.abs().sum().item<float>() > 0);

        model.eval();
        using var noGrad = torch.no_grad();
        Assert.Equal([2L, 5, 64, 64], model.Logits(images).shape);
        Assert.Equal([1L, 5, 50, 70], model.Logits(torch.randn(1, 3, 50, 70)).shape);
    }

    [Fact]
    public void AuxWeightScalesTheAuxLoss()
    {
        var cfg = TinyDeepLab() with { AuxHead = new AuxHeadConfig { Channels = 16, LossWeight = 0.4, Dropout = 0 }, DecodeHead = TinyDeepLab().DecodeHead with { Dropout = 0 } };
        using var model = (EncoderDecoder)ModelFactory.Create(cfg);
        using var scope = NewDisposeScope();
        model.eval(); // BN in eval: both heads see identical features for both calls
        var images = torch.randn(1, 3, 64, 64);
        var labels = torch.randint(0, 5, [1, 64, 64], dtype: ScalarType.Int64);
        using var noGrad = torch.no_grad();
        var weighted = model.ComputeLosses(images, labels)["aux.loss_ce"].item<float>();
        var logits = model.AuxiliaryHead!.forward(model.Backbone.forward(images));
        var up = nn.functional.interpolate(logits, [64, 64], mode: InterpolationMode.Bilinear, align_corners: false);
        var plain = nn.functional.cross_entropy(up, labels).item<float>();
        Assert.Equal(0.4f * plain, weighted, 4);
    }

    [Fact]
    public void NoAuxHeadGivesOnlyDecodeLoss()
    {
        using var model = ModelFactory.Create(TinyDeepLab() with { AuxHead = null });
        Assert.DoesNotContain(model.state_dict().Keys, k => k.StartsWith("auxiliary_head."));
        using var scope = NewDisposeScope();
        var losses = model.ComputeLosses(torch.randn(2, 3, 32, 32), torch.zeros([2, 32, 32], ScalarType.Int64));
        Assert.Equal(["decode.loss_ce"], losses.Keys);
    }

    /// <summary>As PyTorch's F.batch_norm: one sample in training reaches ASPP's image-pool BatchNorm as [1, C, 1, 1],
    /// which has no batch statistics; the error names the key and the fix. Eval mode takes one sample.</summary>
    [Fact]
    public void OneSampleInTrainingStopsAtTheImagePoolBatchNorm()
    {
        using var model = ModelFactory.Create(TinyDeepLab() with { AuxHead = null });
        using var scope = NewDisposeScope();
        var e = Assert.Throws<SegmenterException>(() => model.ComputeLosses(torch.randn(1, 3, 32, 32), torch.zeros([1, 32, 32], ScalarType.Int64)));
        Assert.Equal("data.batch_size", e.Where);
        Assert.Contains("[1, 32, 1, 1]", e.What);
        Assert.Contains("sync_bn", e.Fix);
        model.eval();
        using (torch.no_grad()) Assert.Equal(4, model.Logits(torch.randn(1, 3, 32, 32)).dim());
    }

    [Fact]
    public void FcnDecodeHeadWithConcatInput()
    {
        var cfg = TinyDeepLab() with { DecodeHead = new DecodeHeadConfig { Type = "fcn", Channels = 16 }, AuxHead = null };
        using var model = ModelFactory.Create(cfg);
        var sd = model.state_dict();
        Assert.Equal([16L, 512, 3, 3], sd["decode_head.convs.0.conv.weight"].shape);
        Assert.Equal([16L, 16, 3, 3], sd["decode_head.convs.1.conv.weight"].shape);
        Assert.Equal([16L, 512 + 16, 3, 3], sd["decode_head.conv_cat.conv.weight"].shape);
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        Assert.Equal([1L, 5, 64, 64], model.Logits(torch.randn(1, 3, 64, 64)).shape);
    }

    [Theory]
    [InlineData("model.type")]
    [InlineData("model.backbone.type")]
    [InlineData("model.decode_head.type")]
    [InlineData("model.aux_head.type")]
    [InlineData("model.loss.type")]
    [InlineData("model.decode_head.in_index")]
    public void UnknownTypesAndBadIndicesNameTheKey(string key)
    {
        var cfg = TinyDeepLab();
        cfg = key switch
        {
            "model.type" => cfg with { Type = "mask_rcnn" },
            "model.backbone.type" => cfg with { Backbone = cfg.Backbone with { Type = "vgg" } },
            "model.decode_head.type" => cfg with { DecodeHead = cfg.DecodeHead with { Type = "psp" } },
            "model.aux_head.type" => cfg with { AuxHead = cfg.AuxHead! with { Type = "aspp" } },
            "model.loss.type" => cfg with { Loss = cfg.Loss with { Type = "dice" } },
            _ => cfg with { DecodeHead = cfg.DecodeHead with { InIndex = 4 } },
        };
        var e = Assert.Throws<SegmenterException>(() => ModelFactory.Create(cfg));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void SummaryListsModulesStagesAndTotal()
    {
        using var model = ModelFactory.Create(TinyDeepLab());
        var text = ModelSummary.Format(model);
        foreach (var s in new[] { "backbone", "backbone.layer1", "backbone.layer4", "decode_head", "decode_head.aspp_modules", "auxiliary_head", "total" })
            Assert.Contains(s, text);
        long total = model.parameters().Sum(p => p.numel());
        Assert.Contains(total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), text);
        var entries = ModelSummary.Collect(model);
        Assert.Equal(total, entries.Where(e => e.Depth == 0).Sum(e => e.Parameters));
    }
}
