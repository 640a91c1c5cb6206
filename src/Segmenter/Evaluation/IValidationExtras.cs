using Segmenter.IO;

namespace Segmenter.Evaluation;

/// <summary>What a training run gathers during validation besides the metrics, whatever the task.</summary>
public interface IValidationExtras
{
    /// <summary>The validation loss (NaN when nothing was counted).</summary>
    double Loss { get; }
    /// <summary>image | ground truth | prediction panels of the first few images, for TensorBoard.</summary>
    List<(string Id, RgbImage Panel)> Panels { get; }

    /// <summary>Several processes: sums the loss statistics over the ranks (every rank then has the whole split's loss; panels stay per rank).</summary>
    void Reduce(EvaluationShard shard);
}

/// <summary>Per-image hooks of <see cref="PanopticInference.Evaluate(Models.Segmentors.NamedForward, Config.ExperimentConfig, Data.PanopticDataset, TorchSharp.torch.Device, int?, string?, EvaluationShard?, IPanopticImageObserver?)"/>.</summary>
public interface IPanopticImageObserver
{
    /// <summary>Image <paramref name="index"/>'s outputs at the original size (semantic logits — with TTA log p of the averaged
    /// probabilities p —, centre heatmap, offsets), with its ground-truth id map.</summary>
    void OnOutputs(int index, PanopticIdMap truth, TorchSharp.torch.Tensor semantic, TorchSharp.torch.Tensor center, TorchSharp.torch.Tensor offset);
    /// <summary>Image <paramref name="index"/>'s panoptic prediction (COCO ids and segments) next to its ground truth.</summary>
    void OnPrediction(int index, Data.Sample sample, PanopticIdMap truth, PanopticIdMap prediction, IReadOnlyList<PanopticSegment> segments);
}
