using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Segmenter.Tests.Export;

/// <summary>Shared checks of the ONNX tests: random BN statistics, the engine comparison and the ONNX checker.</summary>
internal static class OnnxTestKit
{
    public static readonly double[] Mean = [123.675, 116.28, 103.53];
    public static readonly double[] Std = [58.395, 57.12, 57.375];

    /// <summary>Non-trivial BatchNorm statistics and affine parameters, so the folding into the convolutions is exercised.</summary>
    /// <summary>
    /// Every weight and bias drawn again from a generator of its own, with the default init's bounds (±1/sqrt(fan_in)):
    /// manual_seed alone does not fix a model's weights here, because test classes run in parallel and draw from the
    /// global generator between the seed and the construction.
    /// </summary>
    public static void ReinitialiseParameters(nn.Module model, long seed)
    {
        var gen = new Generator((ulong)seed + 1000);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("bn") || p.dim() == 0) continue;   // BatchNorm affine: RandomiseBatchNorms
            long fanIn = p.dim() > 1 ? p.numel() / p.shape[0] : p.shape[0];
            double bound = 1 / Math.Sqrt(Math.Max(1, fanIn));
            p.copy_((rand(p.shape, generator: gen) * 2 - 1) * bound);
        }
    }

    public static void RandomiseBatchNorms(nn.Module model, long seed)
    {
        var gen = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_buffers())
            if (name.EndsWith("running_var")) p.copy_(rand(p.shape, generator: gen) + 0.5);
            else if (name.EndsWith("running_mean")) p.copy_(randn(p.shape, generator: gen) * 0.2);
        foreach (var (name, p) in model.named_parameters())
            if (p.dim() == 1 && name.Contains("bn") && name.EndsWith("weight")) p.copy_(rand(p.shape, generator: gen) + 0.5);
            else if (p.dim() == 1 && name.Contains("bn") && name.EndsWith("bias")) p.copy_(randn(p.shape, generator: gen) * 0.1);
    }

    /// <summary>He-normal weights for every Conv2dLayer (the panoptic decoder's N(0, 0.001) init gives near-zero outputs that test little).</summary>
    public static void RandomiseConvs(nn.Module model, long seed)
    {
        var gen = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (_, m) in model.named_modules())
            if (m is Segmenter.Models.Conv2dLayer conv)
            {
                long fanIn = conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3];
                conv.weight.copy_(randn(conv.weight.shape, generator: gen) * Math.Sqrt(2.0 / fanIn));
            }
    }

    /// <summary>An un-normalised RGB image [n, 3, h, w] with values 0..255 (what the ONNX graph takes).</summary>
    public static Tensor RawImage(long n, long h, long w, long seed) =>
        randint(0, 256, [n, 3, h, w], generator: new Generator((ulong)seed)).to(ScalarType.Float32);

    /// <summary>What the TorchSharp path feeds its model: (x − mean)/std per channel.</summary>
    public static Tensor Normalise(Tensor raw) =>
        (raw - tensor(Mean.Select(v => (float)v).ToArray()).view(1, 3, 1, 1)) * (1 / tensor(Std.Select(v => (float)v).ToArray())).view(1, 3, 1, 1);

    /// <summary>
    /// Asserts max|a − b| ≤ 1e-4 · max|reference| and that argmax over channels agrees on ≥ 99.99 % of pixels
    /// (when <paramref name="argmax"/>); returns (relative difference, agreement) for the log.
    /// </summary>
    public static (double Rel, double Agree) AssertClose(Tensor reference, Tensor actual, string what, ITestOutputHelper log, bool argmax = true)
    {
        Assert.Equal(reference.shape, actual.shape);
        double scale = Math.Max(1e-6, reference.abs().max().item<float>());
        double diff = (reference - actual).abs().max().item<float>();
        double rel = diff / scale;
        double agree = argmax ? reference.argmax(1).eq(actual.argmax(1)).to(ScalarType.Float64).mean().item<double>() : 1.0;
        log.WriteLine($"{what}: max |diff| {diff:E2} (relative {rel:E2}), argmax agreement {agree:P4}");
        Assert.True(rel <= 1e-4, $"{what}: ONNX Runtime differs from TorchSharp by {diff} (scale {scale})");
        Assert.True(agree >= 0.9999, $"{what}: argmax agrees on only {agree:P4} of pixels");
        return (rel, agree);
    }

    /// <summary>
    /// Runs onnx.checker.check_model(full_check=True) with Debian's python3-onnx; false (and a message) when it is not
    /// installed (scripts/test.sh installs it).
    /// </summary>
    public static bool CheckWithOnnxChecker(string path, ITestOutputHelper log)
    {
        if (!File.Exists("/usr/bin/python3") || ExternalProcess.Python("-c", "import onnx").Exit != 0)
        {
            log.WriteLine("skipped the ONNX checker: /usr/bin/python3 with onnx not found (apt-get install python3-onnx, or run scripts/test.sh)");
            return false;
        }
        var (exit, stdout, stderr) = ExternalProcess.Python("-c",
            "import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('onnx', onnx.__version__, 'checker ok, opset', m.opset_import[0].version)",
            path);
        Assert.True(exit == 0, $"onnx.checker rejected {path}: {stderr}");
        log.WriteLine(stdout.Trim());
        return true;
    }
}
