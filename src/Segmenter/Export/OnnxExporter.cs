using System.Globalization;
using Google.Protobuf;
using Onnx;
using Segmenter.IO;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Export;

/// <summary>
/// Writes an eval-mode ONNX model (opset 17) of a trained segmentor. Graph input <c>image</c>: float32 [N, 3, H, W],
/// RGB, raw pixel values 0..255 (the decoded image as a float tensor; the graph subtracts data.mean and divides by
/// data.std itself). We chose float NCHW over uint8 NHWC so callers can run sliding-window and multi-scale/flip
/// test-time augmentation on the un-normalised image before the graph (bilinear rescaling of bytes would round), and
/// so `segment predict --engine onnxruntime` feeds exactly what the TorchSharp path computes before its normalisation.
/// Outputs are at the input size (the final bilinear upsampling is in the graph): semantic models give <c>logits</c>
/// [N, C, H, W]; panoptic models give <c>semantic</c> [N, C, H, W], <c>center</c> [N, 1, H, W] and <c>offset</c>
/// [N, 2, H, W] (pixels, y then x). Metadata keys <c>segmenter.*</c> describe the contract.
/// </summary>
public static class OnnxExporter
{
    public const string InputName = "image";

    public static ModelProto Export(EncoderDecoder model, OnnxExportOptions options)
    {
        model.eval();
        using var noGrad = no_grad();
        var g = new OnnxGraphBuilder();
        var image = Preprocess(g, options);
        var logits = model.EmitOnnx(g, image);
        var (h, w) = SpatialDims(options);
        g.AddOutput(logits, "logits", TensorProto.Types.DataType.Float, "batch", model.NumClasses, h, w);
        return g.Build(Metadata(options, "semantic", model.NumClasses, model.DecodeHead.AlignCorners, "logits"));
    }

    public static ModelProto Export(PanopticDeepLab model, OnnxExportOptions options)
    {
        model.eval();
        using var noGrad = no_grad();
        var g = new OnnxGraphBuilder();
        var image = Preprocess(g, options);
        var (sem, center, offset) = model.EmitOnnx(g, image);
        var (h, w) = SpatialDims(options);
        g.AddOutput(sem, "semantic", TensorProto.Types.DataType.Float, "batch", model.NumClasses, h, w);
        g.AddOutput(center, "center", TensorProto.Types.DataType.Float, "batch", 1, h, w);
        g.AddOutput(offset, "offset", TensorProto.Types.DataType.Float, "batch", 2, h, w);
        return g.Build(Metadata(options, "panoptic", model.NumClasses, true, "semantic,center,offset"));
    }

    public static void Save(ModelProto model, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(path, model.ToByteArray());
    }

    private static (object H, object W) SpatialDims(OnnxExportOptions o) =>
        o.Dynamic ? ("height", "width") : (o.Height, o.Width);

    /// <summary>Declares the input and normalises it: (x − mean)·(1/std) per channel, as ImageOps.NormalizeInPlace.</summary>
    private static string Preprocess(OnnxGraphBuilder g, OnnxExportOptions o)
    {
        if (o.Mean.Count != 3 || o.Std.Count != 3)
            throw new SegmenterException("mean and std need 3 values (RGB)", "data.mean/data.std", "e.g. mean [123.675, 116.28, 103.53]");
        var (h, w) = SpatialDims(o);
        var x = g.AddInput(InputName, TensorProto.Types.DataType.Float, "batch", 3L, h, w);
        var mean = g.FloatConst(o.Mean.Select(v => (float)v).ToArray(), [1, 3, 1, 1], "mean");
        var invStd = g.FloatConst(o.Std.Select(v => (float)(1.0 / v)).ToArray(), [1, 3, 1, 1], "inv_std");
        return g.Mul(g.Sub(x, mean), invStd);
    }

    private static Dictionary<string, string> Metadata(OnnxExportOptions o, string task, int numClasses, bool alignCorners, string outputs) => new()
    {
        ["segmenter.task"] = task,
        ["segmenter.input"] = "image: float32 [N,3,H,W] RGB 0..255 (normalised inside the graph)",
        ["segmenter.outputs"] = outputs,
        ["segmenter.num_classes"] = numClasses.ToString(CultureInfo.InvariantCulture),
        ["segmenter.mean"] = string.Join(",", o.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
        ["segmenter.std"] = string.Join(",", o.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
        ["segmenter.align_corners"] = alignCorners ? "true" : "false",
        ["segmenter.dynamic"] = o.Dynamic ? "true" : "false",
    };
}
