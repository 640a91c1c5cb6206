using Segmenter.Training.Parallel;

namespace Segmenter.Training.Distributed;

/// <summary>
/// An <see cref="ICollective"/> whose ranks are processes (started by a launcher such as mpirun or srun), one rank per
/// process: the <c>rank</c> argument of the tensor collectives must be <see cref="Rank"/>. Adds what the training loop
/// needs around the tensors: a barrier, sums of small host-side vectors (pixel counts, logged losses, confusion
/// areas) and a job-wide abort.
/// </summary>
public interface IProcessGroup : ICollective, IDisposable
{
    /// <summary>This process's rank in [0, WorldSize).</summary>
    int Rank { get; }
    /// <summary>Backend name for logs: "mpi" or "nccl".</summary>
    string Backend { get; }
    /// <summary>Blocks until every rank has called it with the same tag.</summary>
    void Barrier(string tag);
    /// <summary>In place: every rank's values become the element-wise sum over ranks (same length on every rank).</summary>
    void AllReduceSum(double[] values, string tag);
    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort); does not return.</summary>
    void Abort(int exitCode);
}
