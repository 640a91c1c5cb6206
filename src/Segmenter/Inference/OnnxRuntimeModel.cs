using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Segmenter.Export;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// An exported ONNX model (see <see cref="OnnxExporter"/>) in an ONNX Runtime session on the CPU. <see cref="Run"/>
/// takes the un-normalised image [N, 3, H, W] (float32 RGB 0..255) as a TorchSharp tensor and returns the graph's
/// outputs as TorchSharp tensors, so the TorchSharp pre- and post-processing code runs unchanged around it.
/// ONNX Runtime's InferenceSession.Run is thread-safe, so one instance can serve concurrent callers.
/// </summary>
public sealed class OnnxRuntimeModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly long[] _inputDims;

    public OnnxRuntimeModel(string path, int intraOpThreads = 0)
    {
        if (!File.Exists(path))
            throw new SegmenterException("ONNX model not found", path, "point --model at a file written by `segment export --format onnx`");
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
        try
        {
            _session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegmenterException($"ONNX Runtime cannot load the model: {e.Message.Split('\n')[0]}", path,
                "re-export it with `segment export --format onnx`", e);
        }
        finally { options.Dispose(); }
        if (!_session.InputMetadata.TryGetValue(OnnxExporter.InputName, out var input))
            throw new SegmenterException($"the model has no input named '{OnnxExporter.InputName}'", path,
                "use a model written by `segment export --format onnx`");
        _inputDims = input.Dimensions.Select(d => (long)d).ToArray();
        Metadata = _session.ModelMetadata.CustomMetadataMap;
        Path = path;
        OutputNames = _session.OutputMetadata.Keys.ToArray();
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>segmenter.task: "semantic" or "panoptic".</summary>
    public string Task => Metadata.TryGetValue("segmenter.task", out var t) ? t : "semantic";

    public int NumClasses => Metadata.TryGetValue("segmenter.num_classes", out var n) ? int.Parse(n, CultureInfo.InvariantCulture)
        : throw new SegmenterException("the model has no segmenter.num_classes metadata", Path, "re-export it with `segment export --format onnx`");

    /// <summary>Fixed input height/width, or null where the export was --dynamic.</summary>
    public (long H, long W)? FixedSize => _inputDims.Length == 4 && _inputDims[2] > 0 && _inputDims[3] > 0 ? (_inputDims[2], _inputDims[3]) : null;

    /// <summary>Runs the graph on a [N, 3, H, W] image; returns every output (name → float32 CPU tensor) in graph order.</summary>
    public Dictionary<string, Tensor> Run(Tensor image)
    {
        if (image.dim() != 4)
            throw new ArgumentException($"expected an [N, 3, H, W] image, got [{string.Join(", ", image.shape)}]");
        if (FixedSize is { } fixedSize && (image.shape[2] != fixedSize.H || image.shape[3] != fixedSize.W))
            throw new SegmenterException($"the model was exported for {fixedSize.H}x{fixedSize.W} inputs but got {image.shape[2]}x{image.shape[3]}",
                Path, "re-export with --dynamic (any size), or with --size matching test.crop_size and test.mode slide");
        using var cpu = image.to(ScalarType.Float32).cpu().contiguous();
        var data = cpu.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(data, image.shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [OnnxExporter.InputName], [input], OutputNames.ToArray());
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < OutputNames.Count; i++)
        {
            var shape = outputs[i].GetTensorTypeAndShape().Shape;
            result[OutputNames[i]] = tensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), shape);
        }
        return result;
    }

    public void Dispose() => _session.Dispose();
}
