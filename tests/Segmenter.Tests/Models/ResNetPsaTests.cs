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
}
