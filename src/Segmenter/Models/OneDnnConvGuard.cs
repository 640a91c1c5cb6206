using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// Routes dense convolutions around a LibTorch 2.10 (oneDNN 3.x) bug seen on an AVX-512 AMD EPYC (2026-12-01). For a
/// kernel larger than 1×1 and a batch of two or more (a batch of one is right), its jit:avx512_core kernels return
/// wrong values (errors of the size of the values, sometimes NaN), in fp32 and bf16, with one thread or two:
/// - forward, when in_channels &gt; 16 is not a multiple of 16 (17, 20, 24, 40, 72, ...);
/// - input gradient, when out_channels is not a multiple of 16 (1, 3, 8, 24, ...), and for stride 2 also when
///   in_channels / 16 is odd (48, 80, 112, 144, 560, ...).
/// Multiples of 32, 1×1 and depthwise convolutions, fp64, and PyTorch 1.13's oneDNN 2.6 on the same machine are correct
/// (docs/cpu_performance.md has the measurements).
/// The fix is exact: zero input channels appended to the input and the weight (up to a multiple of 32) add nothing to
/// the sum, zero filters appended to the weight (up to a multiple of 16) give extra output channels that are cut off,
/// and the gradients of the padding are dropped. It is applied only where a probe at first use finds this LibTorch wrong
/// on this CPU, and only to affected shapes, so healthy machines and the usual widths (64, 128, ...) run unchanged.
/// SEGMENTER_CONV_GUARD=on|off forces it.
/// </summary>
public static class OneDnnConvGuard
{
    private static readonly Lazy<bool> Needed = new(Decide);

    /// <summary>True when the guard pads affected convolutions in this process.</summary>
    public static bool Active => Needed.Value;

    /// <summary>conv2d(input, weight, bias, ...) as torch.nn.functional, correct whatever the channel counts.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups)
    {
        if (groups != 1 || input.device_type != DeviceType.CPU || (weight.shape[2] == 1 && weight.shape[3] == 1))
            return nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
        long inExtra = InputPadding(weight.shape[1]);
        long outExtra = input.requires_grad ? OutputPadding(weight.shape[0]) : 0;
        if ((inExtra == 0 && outExtra == 0) || !Active)
            return nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
        using var scope = NewDisposeScope();
        // pad() lists dimensions from the last: weight [out, in, kh, kw] -> (kw, kw, kh, kh, in, in, out, out).
        var x = inExtra > 0 ? nn.functional.pad(input, [0, 0, 0, 0, 0, inExtra]) : input;
        var w = nn.functional.pad(weight, [0, 0, 0, 0, 0, inExtra, 0, outExtra]);
        var b = bias is not null && outExtra > 0 ? nn.functional.pad(bias, [0, outExtra]) : bias;
        var y = nn.functional.conv2d(x, w, b, stride, padding, dilation, groups);
        if (outExtra > 0) y = y.narrow(1, 0, weight.shape[0]);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Zero input channels the guard appends: up to a multiple of 32 above 16 channels (forward, stride-2 gradient).</summary>
    public static long InputPadding(long inChannels) => inChannels > 16 && inChannels % 32 != 0 ? (inChannels + 31) / 32 * 32 - inChannels : 0;

    /// <summary>Zero filters the guard appends when the input needs a gradient: up to a multiple of 16.</summary>
    public static long OutputPadding(long outChannels) => outChannels % 16 != 0 ? (outChannels + 15) / 16 * 16 - outChannels : 0;

    private static bool Decide()
    {
        var forced = Environment.GetEnvironmentVariable("SEGMENTER_CONV_GUARD");
        if (forced is "on" or "1") return true;
        if (forced is "off" or "0") return false;
        bool wrong = ProbeIsWrong();
        if (wrong)
            Log.Debug("LibTorch's oneDNN miscomputes some convolutions on this CPU; padding their input channels to a multiple of 32 (Models/OneDnnConvGuard)");
        return wrong;
    }

    /// <summary>
    /// Three small cases in fp32 against fp64 (which does not use oneDNN), on batches of two: a forward with 24 input
    /// channels, an input gradient with 6 output channels, and a stride-2 input gradient with 48 input channels.
    /// Deterministic inputs: the probe must not draw from the torch generator (exact resume).
    /// </summary>
    internal static bool ProbeIsWrong()
    {
        using var scope = NewDisposeScope();
        using var grad = torch.enable_grad();
        return Wrong(24, 16, 1) || Wrong(6, 6, 1) || Wrong(48, 16, 2);

        static bool Wrong(int inChannels, int outChannels, int stride)
        {
            var x = Values(2, inChannels, 8, 8);
            var w = Values(outChannels, inChannels, 3, 3) * 0.2;
            var x32 = x.to_type(ScalarType.Float32).requires_grad_();
            var y32 = nn.functional.conv2d(x32, w.to_type(ScalarType.Float32), strides: [stride, stride], padding: [1, 1]);
            var x64 = x.detach().requires_grad_();
            var y64 = nn.functional.conv2d(x64, w, strides: [stride, stride], padding: [1, 1]);
            var gradOut = Values(y64.shape).cos();
            (y32 * gradOut.to_type(ScalarType.Float32)).sum().backward();
            (y64 * gradOut).sum().backward();
            return Differs(y32, y64) || Differs(x32.grad!, x64.grad!);
        }

        static Tensor Values(params long[] shape) => torch.arange(shape.Aggregate(1L, (a, b) => a * b), ScalarType.Float64).sin().reshape(shape);
    }

    private static bool Differs(Tensor fp32, Tensor fp64)
    {
        double err = (fp32.to_type(ScalarType.Float64) - fp64).abs().max().item<double>();
        double scale = fp64.abs().max().item<double>();
        return !(err <= 1e-4 * Math.Max(1.0, scale));
    }
}
