using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Attention;
using Segmenter.Models.Heads;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

public class IsaDecodeHeadTests
{
    internal static ModelConfig TinyIsa(int numClasses = 19, string attention = "none") => new()
    {
        NumClasses = numClasses,
        Backbone = new BackboneConfig { Depth = 18, OutputStride = 8, Attention = new AttentionConfig { Type = attention } },
        DecodeHead = new DecodeHeadConfig { Type = "isa", Channels = 16, IsaChannels = 8, DownFactor = [4, 4] },
        AuxHead = new AuxHeadConfig { Channels = 8 },
    };

    [Fact]
    public void R50IsaModelHasMmsegNamesAndShapes()
    {
        // REFERENCE 4.4 parameter tree (R50, 19 classes).
        using var model = ModelFactory.Create(new ModelConfig { NumClasses = 19, Backbone = new BackboneConfig { ContractDilation = true }, DecodeHead = new DecodeHeadConfig { Type = "isa" } });
        var sd = model.state_dict();
        void Has(string key, params long[] shape) { Assert.True(sd.ContainsKey(key), key); Assert.Equal(shape, sd[key].shape); }
        Has("decode_head.in_conv.conv.weight", 512, 2048, 3, 3);
        Has("decode_head.in_conv.bn.running_var", 512);
        foreach (var rel in new[] { "global_relation", "local_relation" })
        {
            foreach (var proj in new[] { "key_project", "query_project" })
            {
                Has($"decode_head.{rel}.{proj}.0.conv.weight", 256, 512, 1, 1);
                Has($"decode_head.{rel}.{proj}.0.bn.weight", 256);
                Has($"decode_head.{rel}.{proj}.1.conv.weight", 256, 256, 1, 1);
                Has($"decode_head.{rel}.{proj}.1.bn.num_batches_tracked");
            }
            Has($"decode_head.{rel}.value_project.weight", 512, 512, 1, 1);
            Has($"decode_head.{rel}.value_project.bias", 512);
            Has($"decode_head.{rel}.output_project.conv.weight", 512, 512, 1, 1);
            Has($"decode_head.{rel}.output_project.bn.bias", 512);
        }
        Has("decode_head.out_conv.conv.weight", 512, 1024, 1, 1);
        Has("decode_head.conv_seg.weight", 19, 512, 1, 1);
        Has("decode_head.conv_seg.bias", 19);
        Has("auxiliary_head.convs.0.conv.weight", 256, 1024, 3, 3);
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith("decode_head.") && k.EndsWith(".conv.bias"));
        Assert.Equal(32, sd.Keys.Count(k => k.StartsWith("decode_head.global_relation."))); // 2x(6+6) key/query, 2 value, 6 output
    }

    [Fact]
    public void DecodeHeadEqualsTheParityModuleWithTheSameWeights()
    {
        torch.manual_seed(1);
        using var parity = new IsaHead(24, 16, 8, (4, 4), withClassifier: true, num_classes: 5, dropout_ratio: 0.1);
        using var head = new IsaDecodeHead(24, 1, 16, 8, (4, 4), 5, 0.1, false);
        Assert.Equal(parity.state_dict().Keys.Order(), head.state_dict().Keys.Order());
        head.load_state_dict(parity.state_dict());
        parity.eval(); head.eval();
        using var x = randn(2, 24, 11, 13); // not a multiple of the block: padding and cropping
        using var a = parity.forward(x);
        using var b = head.forward([randn(1), x]);
        Assert.Equal(new long[] { 2, 5, 11, 13 }, b.shape);
        Assert.True(a.allclose(b, 1e-6, 1e-6));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("psa")]
    public void TinyIsaTrainsOneStepOnPlainAndPsaBackbones(string attention)
    {
        using var model = ModelFactory.Create(TinyIsa(attention: attention));
        Assert.IsType<IsaDecodeHead>(((EncoderDecoder)model).DecodeHead);
        model.train();
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 64, 96);
        var labels = randint(0, 19, new long[] { 2, 64, 96 }, dtype: ScalarType.Int64);
        var losses = model.ComputeLosses(images, labels);
        Assert.Equal(["aux.loss_ce", "decode.loss_ce"], losses.Keys.Order());
        losses.Values.Aggregate((p, q) => p + q).backward();
        var grad = model.named_parameters().First(p => p.name == "decode_head.global_relation.query_project.0.conv.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
        model.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 19, 64, 96 }, model.Logits(randn(1, 3, 64, 96)).shape);
    }

    [Fact]
    public void ConfigRejectsBadIsaKeys()
    {
        var bad = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("model:\n  decode_head:\n    type: isa\n    down_factor: [8]\n", "t.yaml"));
        Assert.Contains("model.decode_head.down_factor", bad.Message);
        var zero = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("model:\n  decode_head:\n    type: isa\n    isa_channels: 0\n", "t.yaml"));
        Assert.Contains("model.decode_head.isa_channels", zero.Message);
        var type = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("model:\n  decode_head:\n    type: isanet\n", "t.yaml"));
        Assert.Contains("did you mean 'isa'?", type.Message);
    }
}
