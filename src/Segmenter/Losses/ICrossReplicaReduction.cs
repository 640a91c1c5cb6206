using static TorchSharp.torch;

namespace Segmenter.Losses;

/// <summary>
/// How a loss sees the rest of the global batch when the batch is split over replicas (threads of one process, or
/// ranks of an MPI job). Every loss term divides by a global normaliser (Σ counted pixels, Σ weights, k of the global
/// top-k), so that the replicas' terms sum to the whole-batch term and their summed gradients are the whole-batch
/// gradient, for every task and every loss, with no per-model weighting in the training step. On one replica
/// (<see cref="CrossReplicaReduction.None"/>) both operations are the identity and the losses are computed exactly as
/// before. Replicas call the operations in the same order (they run the same loss code on same-shaped slices).
/// </summary>
public interface ICrossReplicaReduction
{
    /// <summary>Number of replicas sharing the batch (1 = none).</summary>
    int Replicas { get; }

    /// <summary>Σ over replicas of a local number (the same result on every replica).</summary>
    double Sum(double local);

    /// <summary>
    /// Every replica's 1-D tensor, concatenated in replica order (the same result on every replica; no gradient), and
    /// where this replica's part starts in it.
    /// </summary>
    (Tensor All, long Offset) Gather(Tensor local);
}

/// <summary>The single-replica reduction: identity.</summary>
public sealed class CrossReplicaReduction : ICrossReplicaReduction
{
    public static ICrossReplicaReduction None { get; } = new CrossReplicaReduction();

    private CrossReplicaReduction() { }

    public int Replicas => 1;
    public double Sum(double local) => local;
    public (Tensor All, long Offset) Gather(Tensor local) => (local.detach(), 0);
}
