using Segmenter.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Parallel;

/// <summary>
/// How a batch is split over replicas (contiguous, as even as possible, the first ones one sample larger) and how
/// much each replica's mean loss weighs, so that the sum of the replicas' weighted losses (and gradients) equals the
/// whole-batch loss (and gradient).
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

    /// <summary>
    /// Weights for losses that are a (class-weighted) mean over the counted pixels (our cross-entropy): each
    /// replica's share of the batch's total pixel weight. Exact: Σ w_r·mean_r = mean over the whole batch. With no
    /// counted pixel at all it falls back to <see cref="SampleWeights"/>.
    /// </summary>
    public static double[] PixelWeights(Batch batch, IReadOnlyList<(int Start, int Count)> ranges, int ignoreIndex, IReadOnlyList<double>? classWeight)
    {
        long pixels = (long)batch.Height * batch.Width;
        var sums = new double[ranges.Count];
        for (int r = 0; r < ranges.Count; r++)
        {
            double s = 0;
            var (start, count) = ranges[r];
            var labels = batch.Labels.AsSpan((int)(start * pixels), (int)(count * pixels));
            foreach (long y in labels)
                if (y != ignoreIndex && y >= 0) s += classWeight is null ? 1.0 : (y < classWeight.Count ? classWeight[(int)y] : 0.0);
            sums[r] = s;
        }
        double total = sums.Sum();
        return total > 0 ? sums.Select(s => s / total).ToArray() : SampleWeights(batch.N, ranges);
    }

    /// <summary>Each replica's share of the samples (what averaging gradients over equal-sized replicas does; exact for per-sample means).</summary>
    public static double[] SampleWeights(int batchSize, IReadOnlyList<(int Start, int Count)> ranges) =>
        ranges.Select(r => (double)r.Count / batchSize).ToArray();

    /// <summary>
    /// The batch as CPU tensors and each replica's slice on its device. The slices of CPU replicas are views; for
    /// CUDA the host tensors are pinned and copied without blocking.
    /// </summary>
    public static (Tensor Images, Tensor Labels)[] ToReplicaTensors(Batch batch, IReadOnlyList<(int Start, int Count)> ranges, IReadOnlyList<Device> devices)
    {
        var (images, labels) = batch.ToTensors(CPU);
        bool anyCuda = devices.Any(d => d.type == DeviceType.CUDA);
        if (anyCuda)
        {
            images = images.pin_memory();
            labels = labels.pin_memory();
        }
        var result = new (Tensor, Tensor)[ranges.Count];
        for (int r = 0; r < ranges.Count; r++)
        {
            var (start, count) = ranges[r];
            var img = images.narrow(0, start, count);
            var lab = labels.narrow(0, start, count);
            result[r] = devices[r].type == DeviceType.CPU
                ? (img, lab)
                : (img.to(devices[r], non_blocking: true), lab.to(devices[r], non_blocking: true));
        }
        return result;
    }
}
