using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Data;

/// <summary>
/// One training batch as plain arrays (built on worker threads): images N x 3 x H x W normalized floats, labels
/// N x H x W class ids (ignore = 255). <see cref="ToTensors"/> makes the tensors on the consuming thread.
/// </summary>
public sealed record Batch(long Iteration, string[] Ids, float[] Images, long[] Labels, int N, int Height, int Width)
{
    /// <summary>
    /// Panoptic-DeepLab targets of every sample, made on the loader's worker threads from the transformed label
    /// (as Detectron2's dataset mapper does); null for semantic batches, whose <see cref="Labels"/> are the targets.
    /// </summary>
    public PanopticTargets[]? Panoptic { get; init; }

    /// <summary>Samples [start, start + count) as what a segmentor computes its losses from, on <paramref name="device"/>.</summary>
    public TrainingBatch ToTraining(Device device, int start = 0, int? count = null)
    {
        int n = count ?? N - start;
        var (images, labels) = ToTensors(CPU);
        if (start != 0 || n != N) (images, labels) = (images.narrow(0, start, n), labels.narrow(0, start, n));
        if (device.type != DeviceType.CPU)
        {
            bool pin = device.type == DeviceType.CUDA;
            (images, labels) = (Move(images, device, pin), Move(labels, device, pin));
        }
        if (Panoptic is null) return new TrainingBatch(images, labels);
        var targets = PanopticTargetBatch.Stack(Panoptic.AsSpan(start, n).ToArray(), device);
        return new TrainingBatch(images, targets.Semantic, targets);
    }

    private static Tensor Move(Tensor t, Device device, bool pin) => (pin ? t.pin_memory() : t).to(device, non_blocking: pin);

    public (Tensor Images, Tensor Labels) ToTensors(Device device)
    {
        var images = tensor(Images, [N, 3, Height, Width]);
        var labels = tensor(Labels, [N, Height, Width]);
        if (device.type == DeviceType.CPU) return (images, labels);
        using (images) using (labels) return (images.to(device), labels.to(device));
    }
}
