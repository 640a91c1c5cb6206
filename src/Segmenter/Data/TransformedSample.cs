using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Data;

/// <summary>
/// A sample ready for the network, as plain arrays (built on worker threads). Image: normalized CHW float, Height x Width.
/// Label: after a train transform, Height x Width aligned with the image (pad = ignore); after a test transform, the
/// untouched original OrigHeight x OrigWidth label, since metrics are computed at the original resolution.
/// </summary>
public sealed record TransformedSample(string Id, float[] Image, int Height, int Width, byte[] Label, int OrigHeight, int OrigWidth)
{
    /// <summary>The image as a [1, 3, H, W] float tensor on <paramref name="device"/> (call on the consuming thread).</summary>
    public Tensor ImageTensor(Device? device = null)
    {
        var t = tensor(Image, [1, 3, Height, Width]);
        if (device is null || device.type == DeviceType.CPU) return t;
        using (t) return t.to(device);
    }
}
