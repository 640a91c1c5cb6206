using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Data;

/// <summary>
/// One training batch as plain arrays (built on worker threads): images N x 3 x H x W normalized floats, labels
/// N x H x W class ids (ignore = 255). <see cref="ToTensors"/> makes the tensors on the consuming thread.
/// </summary>
public sealed record Batch(long Iteration, string[] Ids, float[] Images, long[] Labels, int N, int Height, int Width)
{
    public (Tensor Images, Tensor Labels) ToTensors(Device device)
    {
        var images = tensor(Images, [N, 3, Height, Width]);
        var labels = tensor(Labels, [N, Height, Width]);
        if (device.type == DeviceType.CPU) return (images, labels);
        using (images) using (labels) return (images.to(device), labels.to(device));
    }
}
