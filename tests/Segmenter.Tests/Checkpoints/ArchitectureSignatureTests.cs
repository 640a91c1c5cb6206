using Segmenter.Checkpoints;
using Segmenter.Config;

namespace Segmenter.Tests.Checkpoints;

/// <summary>The architecture signature stored in a checkpoint names the heads the model really has, for either task.</summary>
public class ArchitectureSignatureTests
{
    private static ModelConfig Model(string config) => ConfigLoader.Load(Path.Combine(TestPaths.Configs, config)).Model;

    [Fact]
    public void SemanticModelIsNamedByItsDecodeAndAuxHeads()
    {
        var m = Model("smoke_voc.yaml");
        var signature = Checkpoint.ArchitectureOf(m);
        Assert.StartsWith("encoder_decoder/resnet", signature);
        Assert.Contains($"/{m.DecodeHead.Type}{(m.AuxHead is { } aux ? "+" + aux.Type : "")}/", signature);
        Assert.EndsWith($"/num_classes={m.NumClasses}", signature);
    }

    [Fact]
    public void PanopticModelIsNamedByItsTwoDecodersNotTheUnreadDecodeHead()
    {
        var m = Model("panoptic_deeplab_r50_cityscapes.yaml");
        Assert.Equal($"panoptic_deeplab/resnet50/semantic{m.Panoptic.DecoderChannels}+instance{m.Panoptic.InstanceDecoderChannels}-aspp/num_classes=19",
            Checkpoint.ArchitectureOf(m));
        var axial = m with { Panoptic = m.Panoptic with { UseAspp = false } };
        Assert.EndsWith("-1x1/num_classes=19", Checkpoint.ArchitectureOf(axial));
        Assert.DoesNotContain("deeplabv3plus", Checkpoint.ArchitectureOf(m));
    }
}
