using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// The collective operations data-parallel training needs, called by every rank (one replica each) with its own
/// tensors; each call blocks until all ranks have made it. Ranks call the same operations in the same order with
/// the same <c>tag</c> (checked, to turn a mismatch into an error instead of a silent mix-up). This is the seam
/// where a collective-communication backend (NCCL over several GPUs or machines) replaces the in-process copy.
/// </summary>
public interface ICollective
{
    /// <summary>Number of ranks taking part.</summary>
    int WorldSize { get; }

    /// <summary>In place: every rank's tensors become the element-wise sum over ranks (same shapes on every rank).</summary>
    void AllReduceSum(int rank, IReadOnlyList<Tensor> tensors, string tag);

    /// <summary>In place: every rank's tensors become a copy of rank <paramref name="root"/>'s.</summary>
    void Broadcast(int rank, IReadOnlyList<Tensor> tensors, int root, string tag);
}
