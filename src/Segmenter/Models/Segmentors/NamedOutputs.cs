using static TorchSharp.torch;

namespace Segmenter.Models.Segmentors;

/// <summary>
/// How whole/slide inference and test-time augmentation (SegmentationInference.Outputs) merge one named output of a
/// forward pass over sliding windows, scales and horizontal flips.
/// </summary>
public enum OutputKind
{
    /// <summary>
    /// Class logits [N, C, H, W]: windows averaged; with TTA each pass is resized to the original size, turned into
    /// softmax probabilities and the probabilities are averaged (mmseg aug_test; DeepLab2 DeepLab.call; bowenc0221
    /// multi_scale_inference).
    /// </summary>
    ClassLogits,
    /// <summary>A dense map [N, K, H, W] such as the centre heatmap: flipped back, resized and averaged as it is.</summary>
    Map,
    /// <summary>
    /// Offset vectors [N, 2, H, W] (dy, dx) in pixels of the map they are predicted on: resizing the map scales them by
    /// the resize factor, flipping the map back negates dx (DeepLab2 _resize_predictions / resize_and_rescale_offsets).
    /// </summary>
    Offset,
}

/// <summary>One named output of <see cref="Segmentor.Forward"/> and how it merges.</summary>
public sealed record OutputSpec(string Name, OutputKind Kind);

/// <summary>
/// A forward pass over named outputs at the input size: a <see cref="Segmentor"/>'s <see cref="Segmentor.Forward"/>,
/// or an ONNX Runtime session with the same outputs. Lets one whole/slide/TTA implementation serve every task and engine.
/// </summary>
public delegate IReadOnlyDictionary<string, Tensor> NamedForward(Tensor images);
