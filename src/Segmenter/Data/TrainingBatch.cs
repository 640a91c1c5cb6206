using Segmenter.Losses;
using static TorchSharp.torch;

namespace Segmenter.Data;

/// <summary>
/// What a <see cref="Models.Segmentors.Segmentor"/> computes its losses from: the (replica's slice of the) batch as
/// tensors on its device, with whatever targets its task needs, and the reduction that normalises each loss term
/// over the whole global batch. Images: normalised float [N, 3, H, W]. Labels: int64 [N, H, W] semantic classes with
/// the ignore index (for panoptic batches, the semantic targets). Panoptic: centre heatmaps, offsets and their
/// weights, built on the loader's worker threads (null for semantic tasks).
/// </summary>
public sealed record TrainingBatch(Tensor Images, Tensor Labels, PanopticTargetBatch? Panoptic = null)
{
    public ICrossReplicaReduction Reduction { get; init; } = CrossReplicaReduction.None;
}
