using Segmenter.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// How a batch is split over replicas: contiguous, as even as possible, the first ones one sample larger. (Each
/// replica's loss terms are normalised over the whole batch by the losses themselves, see ICrossReplicaReduction.)
/// </summary>
public static class BatchSplit
{
    /// <summary>The [start, start + count) sample range of every replica.</summary>
    public static IReadOnlyList<(int Start, int Count)> Ranges(int batchSize, int replicas)
    {
        if (batchSize < replicas)
            throw new SegmenterException($"data.batch_size {batchSize} is smaller than the {replicas} replicas", "data.batch_size",
                $"use a batch size of at least {replicas} (every replica needs a sample), or fewer replicas");
        var ranges = new List<(int, int)>();
        int start = 0;
        for (int r = 0; r < replicas; r++)
        {
            int n = batchSize / replicas + (r < batchSize % replicas ? 1 : 0);
            ranges.Add((start, n));
            start += n;
        }
        return ranges;
    }

    /// <summary>Each replica's slice of the batch on its device, with the targets its task needs.</summary>
    public static TrainingBatch[] ToReplicaBatches(Batch batch, IReadOnlyList<(int Start, int Count)> ranges, IReadOnlyList<Device> devices) =>
        ranges.Select((r, i) => batch.ToTraining(devices[i], r.Start, r.Count)).ToArray();
}
