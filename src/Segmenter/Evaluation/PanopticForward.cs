using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// One panoptic forward pass on a normalised (or, for ONNX models, raw) image [N, 3, H, W]: semantic logits, centre heatmap
/// and offsets at the input size, as <see cref="Models.Segmentors.PanopticDeepLab.Predict"/>. Lets the TorchSharp model
/// and an ONNX Runtime session share the post-processing and evaluation code.
/// </summary>
public delegate (Tensor Semantic, Tensor Center, Tensor Offset) PanopticForward(Tensor images);
