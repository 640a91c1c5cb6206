using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Backbones;

/// <summary>
/// A feature extractor that returns one feature map per stage, shallowest first, so heads pick stages by
/// index (mmseg's in_index) and read their widths from <see cref="OutChannels"/> instead of hard-coding them.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor[]>
{
    protected Backbone(string name) : base(name) { }

    /// <summary>Channels of each stage output, in the order <c>forward</c> returns them.</summary>
    public abstract IReadOnlyList<int> OutChannels { get; }

    /// <summary>Output stride (input size / feature size) of each stage output.</summary>
    public abstract IReadOnlyList<int> OutStrides { get; }
}
