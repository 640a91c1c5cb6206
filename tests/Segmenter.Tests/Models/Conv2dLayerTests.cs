using Segmenter.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

/// <summary>
/// Conv2dLayer is torch.nn.Conv2d (names, init, values) and stays correct on the shapes LibTorch 2.10's oneDNN gets
/// wrong on some AVX-512 CPUs (OneDnnConvGuard). On a healthy machine these pass trivially; on an affected one they
/// fail as soon as the guard stops routing around the bug.
/// </summary>
public class Conv2dLayerTests
{
    [Fact]
    public void HasTorchNamesAndInit()
    {
        // Same names as nn.Conv2d, and its init: kaiming_uniform(a=sqrt 5) weights and uniform biases, both bounded by
        // 1/sqrt(fan_in). (Not compared value by value after manual_seed: other test classes run in parallel and draw
        // from the same global generator between the two constructions.)
        using var reference = nn.Conv2d(24, 32, 3, padding: 1, bias: true);
        using var ours = Conv2dLayer.Create(24, 32, 3, padding: 1, bias: true);
        Assert.Equal(reference.state_dict().Keys.OrderBy(k => k), ours.state_dict().Keys.OrderBy(k => k));
        Assert.Equal(reference.weight!.shape, ours.weight!.shape);
        var bound = 1 / Math.Sqrt(24 * 3 * 3);
        var weightMax = ours.weight!.abs().max().item<float>();
        Assert.InRange(weightMax, 0.99 * bound, bound);
        Assert.InRange(ours.weight!.std().item<float>(), 0.95 * bound / Math.Sqrt(3), 1.05 * bound / Math.Sqrt(3));
        Assert.InRange(ours.bias!.abs().max().item<float>(), 0.5 * bound, bound);
    }

    [Theory]
    [InlineData(24, 32, 3, 1, 1)]
    [InlineData(40, 32, 3, 2, 1)]
    [InlineData(48, 32, 3, 2, 1)]
    [InlineData(72, 32, 5, 1, 1)]
    [InlineData(20, 32, 3, 1, 2)]
    [InlineData(560, 32, 3, 2, 1)]
    [InlineData(64, 32, 3, 2, 1)]
    [InlineData(6, 6, 3, 1, 1)]
    [InlineData(3, 24, 5, 2, 1)]
    [InlineData(32, 1, 3, 1, 1)]
    [InlineData(64, 3, 5, 1, 1)]
    public void MatchesFloat64(int inChannels, int outChannels, int kernel, int stride, int dilation)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(inChannels * 100 + outChannels * 10 + kernel);
        var conv = Conv2dLayer.Create(inChannels, outChannels, kernel, stride: stride, padding: dilation * (kernel / 2), dilation: dilation, bias: true);
        var x = randn(2, inChannels, 13, 11).requires_grad_();
        var y = conv.forward(x);
        var gradOut = randn_like(y);
        (y * gradOut).sum().backward();

        var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_();
        var w64 = conv.weight!.detach().to_type(ScalarType.Float64).requires_grad_();
        var y64 = nn.functional.conv2d(x64, w64, conv.bias!.detach().to_type(ScalarType.Float64), [stride, stride],
            [dilation * (kernel / 2), dilation * (kernel / 2)], [dilation, dilation]);
        (y64 * gradOut.to_type(ScalarType.Float64)).sum().backward();

        AssertClose(y64, y, "output");
        AssertClose(x64.grad!, x.grad!, "input gradient");
        AssertClose(w64.grad!, conv.weight!.grad!, "weight gradient");
    }

    [Theory]
    [InlineData(3, 0)]
    [InlineData(16, 0)]
    [InlineData(24, 8)]
    [InlineData(48, 16)]
    [InlineData(64, 0)]
    public void InputPadding(int inChannels, int extra) => Assert.Equal(extra, OneDnnConvGuard.InputPadding(inChannels));

    [Theory]
    [InlineData(1, 15)]
    [InlineData(6, 10)]
    [InlineData(16, 0)]
    [InlineData(48, 0)]
    public void OutputPadding(int outChannels, int extra) => Assert.Equal(extra, OneDnnConvGuard.OutputPadding(outChannels));

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double err = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        double scale = Math.Max(1.0, expected.abs().max().item<double>());
        Assert.True(err <= 1e-4 * scale, $"{what}: max |err| {err:E2} for max |ref| {scale:E2} (guard active: {OneDnnConvGuard.Active})");
    }
}
