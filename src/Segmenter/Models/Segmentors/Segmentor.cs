using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Segmentors;

/// <summary>
/// A segmentation network that owns its losses, so the trainer never needs to know which model it runs.
/// Images are normalised float [N, 3, H, W]; labels are int64 [N, H, W] with the ignore index where unknown.
/// </summary>
public abstract class Segmentor : nn.Module
{
    protected Segmentor(string name) : base(name) { }

    /// <summary>Named loss terms (already weighted), e.g. "decode.loss_ce", "aux.loss_ce". Their sum is the training loss.</summary>
    public abstract Dictionary<string, Tensor> ComputeLosses(Tensor images, Tensor labels);

    /// <summary>Class logits [N, C, H, W] at the input's resolution.</summary>
    public abstract Tensor Logits(Tensor images);

    public abstract int NumClasses { get; }
}
