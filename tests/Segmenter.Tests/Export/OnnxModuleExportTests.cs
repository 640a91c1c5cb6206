using Onnx;
using Segmenter.Export;
using Segmenter.Inference;
using Segmenter.Models.Attention;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Segmenter.Tests.Export.OnnxTestKit;

namespace Segmenter.Tests.Export;

/// <summary>Module-level ONNX emission: one module's graph against its TorchSharp forward (tight, well-conditioned checks).</summary>
public sealed class OnnxModuleExportTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(false, 1, false)]
    [InlineData(true, 1, false)]
    [InlineData(true, 2, false)]
    [InlineData(false, 1, true)]
    public void AxialAttentionMatchesForward(bool width, int stride, bool randBn)
    {
        manual_seed(3);
        using var m = new AxialAttention(16, 16, groups: 2, kernel_size: 8, stride: stride, width: width);
        if (randBn) RandomiseBatchNorms(m, 4);
        m.eval();
        var g = new OnnxGraphBuilder();
        var x = g.AddInput("image", TensorProto.Types.DataType.Float, "batch", 16L, 8L, 8L);
        var y = m.EmitOnnx(g, x);
        g.AddOutput(y, "out", TensorProto.Types.DataType.Float, "batch", 16L, "h", "w");
        var path = Path.Combine(TestPaths.NewTempDir("onnx"), "m.onnx");
        OnnxExporter.Save(g.Build(), path);
        using var ort = new OnnxRuntimeModel(path);
        var input = randn(2, 16, 8, 8);
        Tensor expected;
        using (no_grad()) expected = m.forward(input);
        AssertClose(expected, ort.Run(input)["out"], $"axial w={width} s={stride} bn={randBn}", log, argmax: false);
    }
}
