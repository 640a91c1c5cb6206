using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// torch.nn.Conv2d (zero padding) with the same parameters, initialisation and state-dict names (<c>weight</c>,
/// <c>bias</c>), whose forward goes through <see cref="OneDnnConvGuard"/>: LibTorch 2.10's oneDNN computes wrong
/// convolutions for some channel counts on some AVX-512 CPUs, and the guard routes those calls around the bug.
/// Every model builds its convolutions through <see cref="Create"/> (TorchSharp's Conv2d is sealed, so this derives from
/// its base, as <see cref="BatchNormLayer"/> does for BatchNorm).
/// </summary>
public sealed class Conv2dLayer : Convolution, IOnnxExportable
{
    private Conv2dLayer(long inChannels, long outChannels, long kernelSize, long stride, long padding, long dilation, long groups, bool bias)
        : base("Conv2d", inChannels, outChannels, [kernelSize, kernelSize], [stride, stride], [padding, padding], null,
            [dilation, dilation], false, [0, 0], groups, bias, PaddingModes.Zeros, null, null)
    {
    }

    /// <summary>As <c>nn.Conv2d(in, out, kernel, stride, padding, dilation, groups, bias)</c> with square kernels.</summary>
    public static Conv2dLayer Create(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long dilation = 1, long groups = 1, bool bias = true) =>
        new(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias);

    public override Tensor forward(Tensor input) => OneDnnConvGuard.Conv2d(input, weight!, bias, stride, padding!, dilation, groups);

    /// <summary>ONNX Conv with the same attributes; a following eval-mode BatchNorm <paramref name="bn"/> is folded in.</summary>
    public string EmitOnnx(OnnxGraphBuilder g, string input, BatchNorm? bn) =>
        g.Conv(input, weight!, bias, stride, padding!, dilation, groups, bn);

    public string EmitOnnx(OnnxGraphBuilder g, string input) => EmitOnnx(g, input, null);
}
