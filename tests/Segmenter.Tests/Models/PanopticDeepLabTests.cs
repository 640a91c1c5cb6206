using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Losses;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

public class PanopticDeepLabTests
{
    private static ModelConfig R50Cityscapes() => new()
    {
        Type = "panoptic_deeplab", NumClasses = 19, AuxHead = null, BnMomentum = 0.01,
        Backbone = new BackboneConfig { Depth = 50, OutputStride = 16 },
    };

    [Fact]
    public void StateDictNamesAndShapesFollowBowenc0221()
    {
        using var model = ModelFactory.CreatePanoptic(R50Cityscapes());
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        void Has(string name, params long[] shape)
        {
            Assert.True(sd.ContainsKey(name), $"missing {name}");
            Assert.Equal(shape, sd[name]);
        }
        Has("backbone.conv1.weight", 64, 3, 7, 7);
        Has("decoder.semantic_decoder.aspp.convs.0.0.weight", 256, 2048, 1, 1);
        Has("decoder.semantic_decoder.aspp.convs.3.0.weight", 256, 2048, 3, 3);
        Has("decoder.semantic_decoder.aspp.convs.3.1.running_var", 256);
        Has("decoder.semantic_decoder.aspp.convs.4.aspp_pooling.1.weight", 256, 2048, 1, 1);
        Has("decoder.semantic_decoder.aspp.project.0.weight", 256, 1280, 1, 1);
        Has("decoder.semantic_decoder.project.0.0.weight", 64, 512, 1, 1);
        Has("decoder.semantic_decoder.project.1.0.weight", 32, 256, 1, 1);
        Has("decoder.semantic_decoder.fuse.0.0.0.0.weight", 320, 1, 5, 5);
        Has("decoder.semantic_decoder.fuse.0.0.0.1.weight", 320);
        Has("decoder.semantic_decoder.fuse.0.0.1.weight", 256, 320, 1, 1);
        Has("decoder.semantic_decoder.fuse.1.0.2.bias", 256);
        Has("decoder.semantic_head.classifier.semantic.0.0.0.0.weight", 256, 1, 5, 5);
        Has("decoder.semantic_head.classifier.semantic.1.weight", 19, 256, 1, 1);
        Has("decoder.semantic_head.classifier.semantic.1.bias", 19);
        Has("decoder.instance_decoder.aspp.project.0.weight", 256, 1280, 1, 1);
        Has("decoder.instance_decoder.project.0.0.weight", 32, 512, 1, 1);
        Has("decoder.instance_decoder.fuse.0.0.1.weight", 128, 288, 1, 1);
        Has("decoder.instance_decoder.fuse.1.0.0.0.weight", 144, 1, 5, 5);
        Has("decoder.instance_head.classifier.center.1.weight", 1, 128, 1, 1);
        Has("decoder.instance_head.classifier.offset.1.weight", 2, 128, 1, 1);
        Assert.DoesNotContain(sd.Keys, k => k.Contains("aspp_pooling.2") || k.Contains("aspp.project.3"));
    }

    [Fact]
    public void TinyModelPredictsAtInputSizeAndTrains()
    {
        manual_seed(0);
        var cfg = R50Cityscapes() with
        {
            NumClasses = 3,
            Backbone = new BackboneConfig { Depth = 18, OutputStride = 16 },
            Panoptic = new PanopticConfig { DecoderChannels = 16, InstanceDecoderChannels = 8, InstanceAsppChannels = 8, LowLevelChannelsProject = [8, 4], InstanceLowLevelChannelsProject = [4, 2] },
        };
        using var model = ModelFactory.CreatePanoptic(cfg);
        using var images = randn(2, 3, 33, 49);
        var (sem, center, offset) = model.Predict(images);
        Assert.Equal([2L, 3, 33, 49], sem.shape);
        Assert.Equal([2L, 1, 33, 49], center.shape);
        Assert.Equal([2L, 2, 33, 49], offset.shape);

        var gt = new PanopticGroundTruth(49, 33, Enumerable.Range(0, 33 * 49).Select(i => i % 49 < 20 ? 1 : 2).ToArray(),
            [new PanopticGtSegment(1, 1, 0, false, false), new PanopticGtSegment(2, 2, 1, true, false)]);
        var t = PanopticTargets.Generate(gt, new PanopticTargetOptions());
        using var batch = PanopticTargetBatch.Stack([t, t]);
        var losses = model.ComputeLosses(new TrainingBatch(images, batch.Semantic, batch));
        Assert.Equal(["semantic.loss_ce", "center.loss_mse", "offset.loss_l1"], losses.Keys);
        var total = losses.Values.Aggregate((a, b) => a + b);
        Assert.True(float.IsFinite(total.item<float>()));
        total.backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void DeepLabCrossEntropyAveragesTheHardestPixels()
    {
        using var logits = tensor(new float[] { 2, 0, 0, 2, 1, 1, 0, 3 }, [1, 2, 1, 4]);  // 4 pixels, 2 classes
        using var labels = tensor(new long[] { 0, 0, 255, 0 }, [1, 1, 4]);
        using var weights = tensor(new float[] { 1, 3, 1, 1 }, [1, 1, 4]);
        using var perPixel = nn.functional.cross_entropy(logits, labels, ignore_index: 255, reduction: nn.Reduction.None).reshape(-1) * weights.reshape(-1);
        var v = perPixel.data<float>().ToArray();
        var expected = v.OrderDescending().Take(2).Average();   // int(0.5 * 4) = 2 hardest, ignored pixel counted in the 4
        using var loss = new DeepLabCrossEntropy(255, 0.5).Compute(logits, labels, weights);
        Assert.Equal(expected, loss.item<float>(), 5);
    }
}
