using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// <see cref="ICollective"/> for ranks that are threads of this process (replicas on the CPU or on several GPUs of
/// one machine). Ranks meet at a barrier; the sum is taken on rank 0 in rank order (deterministic, identical on
/// every rank) and copied back to the others. <see cref="Abort"/> releases every waiting rank with an error, so a
/// failure on one replica cannot hang the others.
/// </summary>
public sealed class InProcessCollective : ICollective, IDisposable
{
    private readonly Barrier _barrier;
    private readonly IReadOnlyList<Tensor>?[] _slots;
    private readonly string?[] _tags;
    private readonly CancellationTokenSource _abort = new();

    public InProcessCollective(int worldSize)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), "at least one rank");
        WorldSize = worldSize;
        _barrier = new Barrier(worldSize);
        _slots = new IReadOnlyList<Tensor>?[worldSize];
        _tags = new string?[worldSize];
    }

    public int WorldSize { get; }

    /// <summary>How long a rank waits for the others before giving up (a replica that died without aborting).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Makes every current and future wait throw; the collective is unusable afterwards.</summary>
    public void Abort() => _abort.Cancel();

    public void AllReduceSum(int rank, IReadOnlyList<Tensor> tensors, string tag)
    {
        if (WorldSize == 1) return;
        Deposit(rank, tensors, tag);
        using (torch.no_grad())
        {
            if (rank == 0)
            {
                using var scope = NewDisposeScope();
                for (int r = 1; r < WorldSize; r++)
                    for (int i = 0; i < tensors.Count; i++)
                        tensors[i].add_(Peer(r)[i].to(tensors[i].device));
            }
            Wait(); // the sum is complete on rank 0
            if (rank != 0)
                for (int i = 0; i < tensors.Count; i++) tensors[i].copy_(Peer(0)[i]);
        }
        Wait(); // everyone has read rank 0's tensors before anyone moves on
        _slots[rank] = null;
    }

    public void Broadcast(int rank, IReadOnlyList<Tensor> tensors, int root, string tag)
    {
        if (WorldSize == 1) return;
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root));
        Deposit(rank, tensors, tag);
        if (rank != root)
            using (torch.no_grad())
                for (int i = 0; i < tensors.Count; i++) tensors[i].copy_(Peer(root)[i]);
        Wait();
        _slots[rank] = null;
    }

    public void Dispose()
    {
        _barrier.Dispose();
        _abort.Dispose();
    }

    private IReadOnlyList<Tensor> Peer(int rank) => _slots[rank]!;

    /// <summary>Publishes this rank's tensors, waits for all ranks, and checks that they all called the same operation.</summary>
    private void Deposit(int rank, IReadOnlyList<Tensor> tensors, string tag)
    {
        if (rank < 0 || rank >= WorldSize) throw new ArgumentOutOfRangeException(nameof(rank));
        _slots[rank] = tensors;
        _tags[rank] = tag;
        Wait();
        for (int r = 0; r < WorldSize; r++)
        {
            if (_tags[r] != tag)
                throw new InvalidOperationException($"collective mismatch: rank {rank} is at '{tag}' but rank {r} is at '{_tags[r]}'");
            if (_slots[r]!.Count != tensors.Count)
                throw new InvalidOperationException($"collective '{tag}': rank {r} passed {_slots[r]!.Count} tensors, rank {rank} {tensors.Count}");
        }
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(Timeout, _abort.Token))
            throw new TimeoutException($"collective: not all {WorldSize} ranks arrived within {Timeout}");
    }
}
