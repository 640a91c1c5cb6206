using Segmenter.Models.Attention;
using static TorchSharp.torch;

namespace Segmenter.Tests.Parity;

/// <summary>Behaviour the fixtures do not cover: buffers we build ourselves, the optional classifier, clear errors.</summary>
public class AttentionModuleTests
{
    public static IEnumerable<object[]> AxialAttentionFixtures() => ParityFixtureFiles.Family("axial_attention_*");

    /// <summary>Every axial-attention fixture, its module built from the fixture's own ctor_args (kernel size, groups,
    /// planes), so a fixture of another size drops in without code changes.</summary>
    [Theory]
    [MemberData(nameof(AxialAttentionFixtures))]
    public void AxialFlattenIndexEqualsTheOfficialBuffer(string file)
    {
        using var c = FixtureCase.Load(ParityFixtureFiles.Resolve(file));
        using var m = ParityModuleFactory.Create(c);
        var ours = m.state_dict()["flatten_index"];
        Assert.Equal(ScalarType.Int64, ours.dtype);
        var official = c.Params["flatten_index"];
        Assert.Equal(official.shape, ours.shape);
        Assert.True(ours.eq(official).all().item<bool>());
    }

    [Fact]
    public void AxialAttentionRejectsAnAxisLongerThanKernelSize()
    {
        // Shorter axes reuse the central part of the relative table (Panoptic tests cover that); longer ones cannot.
        using var m = new AxialAttention(16, 16, groups: 2, kernel_size: 6, width: true);
        using var x = randn(1, 16, 6, 7);
        var e = Assert.Throws<SegmenterException>(() => m.forward(x));
        Assert.Contains("kernel_size 6", e.Message);
    }

    [Fact]
    public void IsaHeadWithClassifierGivesLogitsAndMmsegKeys()
    {
        using var head = new IsaHead(8, 16, 8, (4, 4), withClassifier: true, num_classes: 5);
        head.eval();
        using var x = randn(2, 8, 9, 7);
        using var y = head.forward(x);
        Assert.Equal(new long[] { 2, 5, 9, 7 }, y.shape);
        var keys = head.state_dict().Keys.ToHashSet();
        Assert.Contains("conv_seg.weight", keys);
        Assert.Contains("conv_seg.bias", keys);
        Assert.Contains("global_relation.value_project.bias", keys);
        using var noCls = new IsaHead(8, 16, 8, (4, 4));
        Assert.DoesNotContain(noCls.state_dict().Keys, k => k.StartsWith("conv_seg"));
    }

    [Fact]
    public void PsaKeepsShapeAndKeysForResNetInsertion()
    {
        using var p = new PolarizedSelfAttentionParallel(16, 16);
        using var s = new PolarizedSelfAttentionSequential(16, 16);
        using var x = randn(1, 16, 5, 6);
        using var yp = p.forward(x);
        using var ys = s.forward(x);
        Assert.Equal(x.shape, yp.shape);
        Assert.Equal(x.shape, ys.shape);
        Assert.Equal(new[] { "conv_q_left.weight", "conv_q_right.weight", "conv_up.weight", "conv_v_left.weight", "conv_v_right.weight" },
            p.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
        Assert.Throws<SegmenterException>(() => new PolarizedSelfAttentionSequential(16, 32));
    }
}
