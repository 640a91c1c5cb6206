using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

/// <summary>A head added the way the docs say: one class (this file) and one registry line, nothing in the validator.</summary>
public sealed class ToyConvHead : DecodeHead
{
    public const string TypeName = "toy_conv1x1";

    private readonly Conv2dLayer proj;
    private readonly int _inIndex;

    public ToyConvHead(int inChannels, int inIndex, int channels, int numClasses, double dropoutRatio, bool alignCorners)
        : base(nameof(ToyConvHead), channels, numClasses, dropoutRatio, alignCorners)
    {
        _inIndex = inIndex;
        proj = Conv2dLayer.Create(inChannels, channels, 1);
        RegisterComponents();
    }

    public static ToyConvHead Build(ModelConfig cfg, Backbone backbone)
    {
        var h = cfg.DecodeHead;
        return new ToyConvHead(ModelFactory.StageChannels(backbone, h.InIndex, "model.decode_head.in_index"), h.InIndex, h.Channels,
            cfg.NumClasses, h.Dropout, h.AlignCorners);
    }

    public override Tensor forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        using var x = proj.forward(Pick(inputs, _inIndex, "model.decode_head.in_index"));
        return ClsSeg(nn.functional.relu(x)).MoveToOuterDisposeScope();
    }
}

public class ModelRegistryTests
{
    static ModelRegistryTests()
    {
        // The one registry line (the registries are process-wide; the static constructor runs it once).
        if (!ModelRegistry.DecodeHeads.Contains(ToyConvHead.TypeName))
            ModelRegistry.DecodeHeads.Register(ToyConvHead.TypeName, ToyConvHead.Build);
    }

    [Fact]
    public void ARegisteredHeadLoadsFromYamlAndBuilds()
    {
        var cfg = ConfigLoader.LoadText($"""
            model:
              num_classes: 4
              backbone:
                depth: 18
                output_stride: 32
              decode_head:
                type: {ToyConvHead.TypeName}
                in_index: 3
                channels: 8
              aux_head: null
            data:
              train_pipeline:
                crop_size: [64, 64]
            """, "toy.yaml");
        Assert.Contains(ToyConvHead.TypeName, ModelRegistry.DecodeHeads.Names);
        // The head reads only common keys: config show has none of the deeplabv3plus or isa ones.
        var yaml = ConfigWriter.ToYaml(cfg);
        Assert.Contains($"type: {ToyConvHead.TypeName}", yaml);
        foreach (var key in new[] { "dilations:", "c1_channels:", "isa_channels:", "down_factor:" })
            Assert.DoesNotContain(key, yaml);

        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var ed = Assert.IsType<EncoderDecoder>(model);
        Assert.IsType<ToyConvHead>(ed.DecodeHead);
        Assert.True(model.state_dict().ContainsKey("decode_head.proj.weight"));
        model.eval();
        using var _ = no_grad();
        using var logits = model.Logits(randn(1, 3, 64, 64));
        Assert.Equal([1L, 4, 64, 64], logits.shape);
    }

    [Fact]
    public void UnknownHeadTypeSuggestsARegisteredName()
    {
        var message = Assert.Throws<SegmenterException>(() =>
            ConfigLoader.LoadText("model:\n  decode_head:\n    type: toy_conv1x2\n", "t.yaml")).Message;
        Assert.Contains("model.decode_head.type is toy_conv1x2", message);
        Assert.Contains($"did you mean '{ToyConvHead.TypeName}'?", message);
        Assert.Contains("deeplabv3plus, fcn, isa", message);
        Assert.DoesNotContain('\n', message);

        var isanet = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("model:\n  decode_head:\n    type: isanet\n", "t.yaml")).Message;
        Assert.Contains("did you mean 'isa'?", isanet);

        // The factory reads the same registry for configs built in code (not validated).
        var cfg = ModelTestUtil.TinyDeepLab() with { Backbone = ModelTestUtil.Backbone(18) with { Type = "resnett" } };
        var e = Assert.Throws<SegmenterException>(() => ModelFactory.Create(cfg)).Message;
        Assert.Contains("model.backbone.type", e);
        Assert.Contains("did you mean 'resnet'?", e);
    }

    [Fact]
    public void CreateBuildsEveryRegisteredSegmentorType()
    {
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"));
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        Assert.IsType<PanopticDeepLab>(model);
        using var semantic = ModelFactory.Create(ModelTestUtil.TinyDeepLab());
        Assert.IsType<EncoderDecoder>(semantic);
    }

    [Fact]
    public void RegistriesListTheBuiltInTypes()
    {
        Assert.Equal(["encoder_decoder", "panoptic_deeplab"], ModelRegistry.Segmentors.Names);
        Assert.Equal(["resnet", "axial_resnet"], ModelRegistry.Backbones.Names);
        Assert.Equal(["deeplabv3plus", "fcn", "isa"], ModelRegistry.DecodeHeads.Names.Take(3));
        Assert.Equal(["fcn"], ModelRegistry.AuxHeads.Names);
        Assert.Equal(["cross_entropy"], ModelRegistry.Losses.Names);
        Assert.Throws<InvalidOperationException>(() => ModelRegistry.DecodeHeads.Register("isa", IsaDecodeHead.Build));
        Assert.Equal(["isa"], ModelRegistry.DecodeHeads.TypesReading("down_factor"));
        Assert.False(ModelRegistry.DecodeHeads.IsTypeSpecific("channels"));
    }
}
