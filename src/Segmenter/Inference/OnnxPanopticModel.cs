using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// A panoptic ONNX model (outputs semantic, center, offset) as a <see cref="Models.Segmentors.NamedForward"/> (<see cref="Forward"/>), so
/// PanopticInference / PanopticPredictor run the same post-processing as for the TorchSharp model. Feed raw pixels
/// (<see cref="OnnxSegmentor.RawPixelConfig"/>): the graph normalises.
/// </summary>
public sealed class OnnxPanopticModel
{
    private readonly OnnxRuntimeModel _model;

    public OnnxPanopticModel(OnnxRuntimeModel model)
    {
        if (model.Task != "panoptic" || !new[] { "semantic", "center", "offset" }.All(model.OutputNames.Contains))
            throw new SegmenterException($"the ONNX model is a {model.Task} model without semantic/center/offset outputs", model.Path,
                "export a panoptic_deeplab model, or use it with a semantic config");
        _model = model;
    }

    /// <summary>The graph's "semantic", "center" and "offset" outputs by name (<see cref="Models.Segmentors.NamedForward"/>), so
    /// whole/slide inference and TTA run on them as on the TorchSharp model's <see cref="Models.Segmentors.PanopticDeepLab.Forward"/>.</summary>
    public IReadOnlyDictionary<string, Tensor> Forward(Tensor images)
    {
        var (semantic, center, offset) = Predict(images);
        return new Dictionary<string, Tensor>
        {
            [Models.Segmentors.PanopticDeepLab.SemanticOutput] = semantic,
            [Models.Segmentors.PanopticDeepLab.CenterOutput] = center,
            [Models.Segmentors.PanopticDeepLab.OffsetOutput] = offset,
        };
    }

    public (Tensor Semantic, Tensor Center, Tensor Offset) Predict(Tensor images)
    {
        var o = _model.Run(images);
        return (o["semantic"].to(images.device), o["center"].to(images.device), o["offset"].to(images.device));
    }
}
