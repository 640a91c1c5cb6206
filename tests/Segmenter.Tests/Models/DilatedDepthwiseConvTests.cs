using Segmenter.Models;
using Segmenter.Models.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

/// <summary>Our dilated depthwise kernel against LibTorch's conv2d: output, input gradient and weight gradient.</summary>
public class DilatedDepthwiseConvTests
{
    [Theory]
    [InlineData(2, 5, 32, 32, 3, 12, 12)]   // ASPP rate 12 at OS8 on a 256 crop
    [InlineData(2, 5, 32, 32, 3, 24, 24)]
    [InlineData(2, 5, 32, 32, 3, 36, 36)]   // every off-centre tap lies in the padding
    [InlineData(1, 3, 17, 23, 3, 6, 6)]     // odd sizes, not multiples of the vector width
    [InlineData(2, 4, 20, 9, 5, 2, 4)]      // 5x5 kernel, 'same' padding
    [InlineData(1, 2, 15, 15, 3, 3, 1)]     // padding smaller than the dilation: output shrinks
    [InlineData(3, 2, 8, 40, 3, 2, 5)]      // padding larger than needed: output grows
    public void EqualsLibTorchConvolutionAndItsGradients(int b, int c, int h, int w, int k, int dilation, int padding)
    {
        var gen = new Generator(7);
        using var x0 = randn(new long[] { b, c, h, w }, generator: gen);
        using var w0 = randn(new long[] { c, 1, k, k }, generator: gen);
        var reference = Run(x0, w0, padding, dilation, ours: false);
        var ours = Run(x0, w0, padding, dilation, ours: true);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(reference[i].shape, ours[i].shape);
            double scale = Math.Max(1.0, reference[i].abs().max().item<float>());
            double diff = (reference[i] - ours[i]).abs().max().item<float>();
            Assert.True(diff <= 1e-5 * scale, $"tensor {i} (0 output, 1 input grad, 2 weight grad): max diff {diff} at scale {scale}");
        }
    }

    [Fact]
    public void ConvModuleUsesItOnlyForDilatedDepthwiseOnCpu()
    {
        using var x = randn(2, 4, 9, 9);
        using var w = randn(4, 1, 3, 3);
        Assert.True(DilatedDepthwiseConv.Handles(x, w, stride: 1, dilation: 2, groups: 4, hasBias: false));
        Assert.False(DilatedDepthwiseConv.Handles(x, w, stride: 1, dilation: 1, groups: 4, hasBias: false));
        Assert.False(DilatedDepthwiseConv.Handles(x, w, stride: 2, dilation: 2, groups: 4, hasBias: false));
        Assert.False(DilatedDepthwiseConv.Handles(x, w, stride: 1, dilation: 2, groups: 4, hasBias: true));
        using var w2 = randn(4, 2, 3, 3);
        Assert.False(DilatedDepthwiseConv.Handles(x, w2, stride: 1, dilation: 2, groups: 2, hasBias: false));
        using var xd = x.to(ScalarType.Float64);
        Assert.False(DilatedDepthwiseConv.Handles(xd, w, stride: 1, dilation: 2, groups: 4, hasBias: false));
    }

    [Fact]
    public void ConvModuleGivesTheSameOutputWithEitherKernel()
    {
        // The kernel is each module's own choice, made when it is built: no process state is switched, so tests
        // running beside this one (bit-exact resume) keep the kernel they were built with.
        torch.manual_seed(3);
        using var module = new ConvModule(6, 6, 3, padding: 4, dilation: 4, groups: 6, ownDepthwiseKernel: false);
        using var ownKernel = new ConvModule(6, 6, 3, padding: 4, dilation: 4, groups: 6, ownDepthwiseKernel: true);
        ownKernel.load_state_dict(module.state_dict());
        Assert.False(module.UsesOwnDepthwiseKernel);
        Assert.True(ownKernel.UsesOwnDepthwiseKernel);
        module.eval();
        ownKernel.eval();
        using var x = randn(2, 6, 13, 11);
        using var reference = module.forward(x);
        using var ours = ownKernel.forward(x);
        Assert.True((reference - ours).abs().max().item<float>() < 1e-5f);
    }

    private static Tensor[] Run(Tensor x0, Tensor w0, int padding, int dilation, bool ours)
    {
        using var scope = NewDisposeScope();
        var x = x0.detach().requires_grad_(true);
        var w = w0.detach().requires_grad_(true);
        var y = ours
            ? DilatedDepthwiseConv.Apply(x, w, padding, dilation)
            : nn.functional.conv2d(x, w, padding: [padding, padding], dilation: [dilation, dilation], groups: x0.shape[1]);
        using var gen = new Generator(11);
        var gy = randn(y.shape, generator: gen);
        y.backward([gy]);
        return new[] { y.detach(), x.grad!.clone(), w.grad!.clone() }.Select(t => t.MoveToOuterDisposeScope()).ToArray();
    }
}
