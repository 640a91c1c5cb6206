using Segmenter.Config;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// A semantic ONNX model behind the <see cref="Segmentor"/> interface, so SegmentationInference (whole/slide, scales,
/// flip) and Predictor run the same code for both engines. The graph normalises its input itself, so this engine is fed
/// un-normalised images: run the test pipeline through <see cref="RawPixelConfig"/> (mean 0, std 1). Resizing, cropping
/// and flipping commute with the per-channel affine normalisation, so the graph sees what the TorchSharp model sees.
/// </summary>
public sealed class OnnxSegmentor : Segmentor
{
    private readonly OnnxRuntimeModel _model;

    public OnnxSegmentor(OnnxRuntimeModel model) : base(nameof(OnnxSegmentor))
    {
        if (model.Task != "semantic" || !model.OutputNames.Contains("logits"))
            throw new SegmenterException($"the ONNX model is a {model.Task} model without a 'logits' output", model.Path,
                "export a semantic (encoder_decoder) model, or use it with a panoptic config");
        _model = model;
        NumClasses = model.NumClasses;
    }

    public override int NumClasses { get; }

    public OnnxRuntimeModel Model => _model;

    /// <summary>The config with data.mean 0 and data.std 1: its TestTransform yields raw pixel values, which the graph normalises.</summary>
    public static ExperimentConfig RawPixelConfig(ExperimentConfig cfg) =>
        cfg with { Data = cfg.Data with { Mean = [0.0, 0.0, 0.0], Std = [1.0, 1.0, 1.0] } };

    public override Tensor Logits(Tensor images)
    {
        var outputs = _model.Run(images);
        var logits = outputs["logits"];
        foreach (var (k, v) in outputs) if (k != "logits") v.Dispose();
        return logits.to(images.device);
    }

    public override Dictionary<string, Tensor> ComputeLosses(Data.TrainingBatch batch) =>
        throw new NotSupportedException("an ONNX model is inference-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _model.Dispose();
        base.Dispose(disposing);
    }
}
