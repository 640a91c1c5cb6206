using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// One panoptic forward pass on a normalised (or, for ONNX models, raw) image [N, 3, H, W]: semantic logits, centre heatmap
/// and offsets at the input size, as <see cref="Models.Segmentors.PanopticDeepLab.Predict"/>. The tuple form of
/// <see cref="Models.Segmentors.NamedForward"/>, which inference runs on (<see cref="PanopticInference.Named"/> adapts it).
/// </summary>
public delegate (Tensor Semantic, Tensor Center, Tensor Offset) PanopticForward(Tensor images);
