using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// A dilated depthwise convolution (groups = channels, stride 1, no bias) on the CPU, computed by our own kernel with
/// its own backward, as a custom autograd function. It is the same function as
/// <c>conv2d(x, w, padding: p, dilation: d, groups: C)</c> with the same weight tensor; only the summation order differs.
/// <para>
/// Why: for depthwise convs with a dilation above 1 (DeepLabV3+'s ASPP, rates 12/24/36 or 6/12/18) LibTorch's oneDNN
/// has no direct kernel and falls back to a per-channel GEMM: measured with ONEDNN_VERBOSE, those three convs took
/// about 5 % of a DeepLabV3+ R50 train step at 256² for some 0.1 % of its multiply-adds. A depthwise tap is a scaled
/// shift of one H×W plane, which stays in L1 here: each plane is read once and written once per pass.
/// </para>
/// Whether a module uses it is that module's own value, fixed when it is built (<see cref="Heads.ConvModule"/>'s
/// ownDepthwiseKernel argument, default <see cref="EnabledByEnvironment"/>): set SEGMENTER_DEPTHWISE=libtorch to build
/// every model with LibTorch's convolution instead (for comparisons).
/// </summary>
public static class DilatedDepthwiseConv
{
    /// <summary>The kernel choice of modules built without an explicit one: yes, unless SEGMENTER_DEPTHWISE=libtorch.
    /// Read from the environment once, at start-up; nothing writes it, so models built in one process agree.</summary>
    public static bool EnabledByEnvironment { get; } =
        !string.Equals(Environment.GetEnvironmentVariable("SEGMENTER_DEPTHWISE"), "libtorch", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <see cref="Apply"/> can compute this convolution (dilated, depthwise, stride 1, no bias, float32 on
    /// the CPU); a module that chose our kernel then calls <see cref="Apply"/>, otherwise LibTorch's conv2d.</summary>
    public static bool Handles(Tensor x, Tensor weight, long stride, long dilation, long groups, bool hasBias) =>
        dilation > 1 && stride == 1 && !hasBias && x.dim() == 4 && groups == x.shape[1] && weight.shape[0] == groups
        && weight.dim() == 4 && weight.shape[1] == 1 && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32
        && weight.dtype == ScalarType.Float32;

    /// <summary>The depthwise convolution of <paramref name="x"/> [B,C,H,W] with <paramref name="weight"/> [C,1,kh,kw].</summary>
    public static Tensor Apply(Tensor x, Tensor weight, long padding, long dilation) =>
        Function.apply(x, weight, (int)padding, (int)dilation);

    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "DilatedDepthwiseConv";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = ((Tensor)vars[0]).contiguous();
            var w = ((Tensor)vars[1]).contiguous();
            int p = (int)vars[2], d = (int)vars[3];
            var g = Geometry.Of(x, w, p, d);
            var y = zeros(new long[] { g.B, g.C, g.Ho, g.Wo }, dtype: ScalarType.Float32);
            Kernels.Forward(g, Data(x), Data(w), Data(y));
            ctx.save_for_backward([x, w]);
            ctx.save_data("p", p);
            ctx.save_data("d", d);
            GC.KeepAlive(x); GC.KeepAlive(w);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            Tensor x = saved[0], w = saved[1];
            int p = (int)ctx.get_data("p"), d = (int)ctx.get_data("d");
            var g = Geometry.Of(x, w, p, d);
            var gy = gradOutput.contiguous();
            var gx = zeros_like(x);
            var gw = zeros_like(w);
            Kernels.BackwardData(g, Data(gy), Data(w), Data(gx));
            Kernels.BackwardWeight(g, Data(gy), Data(x), Data(gw));
            GC.KeepAlive(gy); GC.KeepAlive(x); GC.KeepAlive(w);
            return [gx, gw, null!, null!];
        }
    }

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    private static IntPtr Data(Tensor t)
    {
        var ptr = THSTensor_data(t.Handle);
        if (ptr == IntPtr.Zero) throw new InvalidOperationException("DilatedDepthwiseConv: tensor has no data pointer");
        return ptr;
    }

    /// <summary>Sizes of one call; tap (ky, kx) reads input row y + ky·d − p for output row y.</summary>
    internal readonly record struct Geometry(int B, int C, int H, int W, int Kh, int Kw, int P, int D, int Ho, int Wo)
    {
        public static Geometry Of(Tensor x, Tensor w, int p, int d)
        {
            int h = (int)x.shape[2], wd = (int)x.shape[3], kh = (int)w.shape[2], kw = (int)w.shape[3];
            int ho = h + 2 * p - d * (kh - 1), wo = wd + 2 * p - d * (kw - 1);
            if (ho <= 0 || wo <= 0)
                throw new ArgumentException($"DilatedDepthwiseConv: input {h}x{wd} too small for kernel {kh}x{kw}, dilation {d}, padding {p}");
            return new Geometry((int)x.shape[0], (int)x.shape[1], h, wd, kh, kw, p, d, ho, wo);
        }

        /// <summary>
        /// Tap (ky, kx): its input offset (dy, dx) and the output rows [y0, y1) and columns [x0, x1) where it reads
        /// inside the input; false when it reads only padding.
        /// </summary>
        public bool Tap(int ky, int kx, out int dy, out int dx, out int y0, out int y1, out int x0, out int x1)
        {
            dy = ky * D - P;
            dx = kx * D - P;
            (y0, y1) = (Math.Max(0, -dy), Math.Min(Ho, H - dy));
            (x0, x1) = (Math.Max(0, -dx), Math.Min(Wo, W - dx));
            return y0 < y1 && x0 < x1;
        }
    }

    /// <summary>
    /// The three passes, each parallel over channels and deterministic (no shared accumulators). The per-channel
    /// methods skip tiered compilation: a training run calls them too few times for the JIT to optimise them in time.
    /// </summary>
    internal static unsafe class Kernels
    {
        private const MethodImplOptions Hot = MethodImplOptions.AggressiveOptimization;

        private static ParallelOptions Options => new() { MaxDegreeOfParallelism = Math.Max(1, torch.get_num_threads()) };

        public static void Forward(Geometry g, IntPtr x, IntPtr w, IntPtr y) =>
            Parallel.For(0, g.C, Options, c => ShiftAddChannel(g, (float*)x, (float*)w, (float*)y, c, transposed: false));

        public static void BackwardData(Geometry g, IntPtr gy, IntPtr w, IntPtr gx) =>
            Parallel.For(0, g.C, Options, c => ShiftAddChannel(g, (float*)gx, (float*)w, (float*)gy, c, transposed: true));

        public static void BackwardWeight(Geometry g, IntPtr gy, IntPtr x, IntPtr gw) =>
            Parallel.For(0, g.C, Options, c => BackwardWeightChannel(g, (float*)gy, (float*)x, (float*)gw, c));

        /// <summary>
        /// The forward pass, y[b,c] = Σ_taps w[c,tap] · shift(x[b,c], tap) over the rows and columns where the tap hits
        /// the input (<paramref name="inPlanes"/> = x read, <paramref name="outPlanes"/> = y written), or with
        /// <paramref name="transposed"/> its transpose, the input gradient gx[b,c] = Σ_taps w[c,tap] · (gy[b,c] shifted
        /// back by the tap) (<paramref name="outPlanes"/> = gy read, <paramref name="inPlanes"/> = gx written).
        /// </summary>
        [MethodImpl(Hot)]
        private static void ShiftAddChannel(Geometry g, float* inPlanes, float* w, float* outPlanes, int c, bool transposed)
        {
            long inPlane = (long)g.H * g.W, outPlane = (long)g.Ho * g.Wo;
            for (int b = 0; b < g.B; b++)
            {
                float* input = inPlanes + ((long)b * g.C + c) * inPlane, output = outPlanes + ((long)b * g.C + c) * outPlane;
                for (int ky = 0; ky < g.Kh; ky++)
                for (int kx = 0; kx < g.Kw; kx++)
                {
                    if (!g.Tap(ky, kx, out int dy, out int dx, out int y0, out int y1, out int x0, out int x1)) continue;
                    float wt = w[((long)c * g.Kh + ky) * g.Kw + kx];
                    for (int r = y0; r < y1; r++)
                    {
                        float* inRow = input + (long)(r + dy) * g.W + x0 + dx, outRow = output + (long)r * g.Wo + x0;
                        if (transposed) Axpy(inRow, outRow, wt, x1 - x0);
                        else Axpy(outRow, inRow, wt, x1 - x0);
                    }
                }
            }
        }

        /// <summary>gw[c,tap] = Σ_b Σ gy[b,c] · shift(x[b,c], tap), accumulated in double over the batch.</summary>
        [MethodImpl(Hot)]
        private static void BackwardWeightChannel(Geometry g, float* gy, float* x, float* gw, int c)
        {
            long inPlane = (long)g.H * g.W, outPlane = (long)g.Ho * g.Wo;
            for (int ky = 0; ky < g.Kh; ky++)
            for (int kx = 0; kx < g.Kw; kx++)
            {
                double sum = 0;
                if (g.Tap(ky, kx, out int dy, out int dx, out int y0, out int y1, out int x0, out int x1))
                {
                    for (int b = 0; b < g.B; b++)
                    {
                        float* src = x + ((long)b * g.C + c) * inPlane, grad = gy + ((long)b * g.C + c) * outPlane;
                        var acc = Vector<float>.Zero;
                        float tail = 0;
                        for (int r = y0; r < y1; r++)
                            tail += Dot(grad + (long)r * g.Wo + x0, src + (long)(r + dy) * g.W + x0 + dx, x1 - x0, ref acc);
                        sum += Vector.Sum(acc) + tail;
                    }
                }
                gw[((long)c * g.Kh + ky) * g.Kw + kx] = (float)sum;
            }
        }

        /// <summary>dst[i] += a·src[i] for i &lt; n.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | Hot)]
        private static void Axpy(float* dst, float* src, float a, int n)
        {
            int i = 0;
            var va = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Vector.Store(Vector.Load(dst + i) + va * Vector.Load(src + i), dst + i);
            for (; i < n; i++) dst[i] += a * src[i];
        }

        /// <summary>Adds a[i]·b[i] into the lanes of <paramref name="acc"/>; returns the products past the last full vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | Hot)]
        private static float Dot(float* a, float* b, int n, ref Vector<float> acc)
        {
            int i = 0;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                acc += Vector.Load(a + i) * Vector.Load(b + i);
            float tail = 0;
            for (; i < n; i++) tail += a[i] * b[i];
            return tail;
        }
    }
}
