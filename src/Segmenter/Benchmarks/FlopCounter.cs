using Segmenter.Training;
using Segmenter.Models;
using Segmenter.Config;
using Segmenter.Models.Attention;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Segmentors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>Multiply-adds of one part of the model for one image.</summary>
public sealed record MacEntry(string Name, long Macs);

/// <summary>
/// Multiply-adds of one forward pass for one image of <see cref="Height"/>×<see cref="Width"/>: per part, the
/// attention share, the training forward (<see cref="Total"/>, auxiliary head included) and inference (without it).
/// </summary>
public sealed record MacReport(int Height, int Width, IReadOnlyList<MacEntry> Entries, long Attention, long Total, long Inference)
{
    public double GMacs => Total / 1e9;
}

/// <summary>
/// Counts multiply-adds (MACs) analytically, the convention of fvcore / torchvision's GFLOPS column: every
/// convolution costs out_h·out_w·weight.numel() per image (out_channels·in_channels/groups·kh·kw per output
/// position), PSA's two matrix products cost (planes/2)·H·W each; BatchNorm, ReLU, pooling, softmax, sigmoid,
/// element-wise gating, residual adds and resizes are not counted. TorchSharp forward hooks only fire through
/// <c>Module.call</c> and this code base calls <c>forward</c>, so instead of hooks the counter walks the module tree
/// in forward order and tracks each feature map's size with the convolution arithmetic of each Conv2d.
/// Knows ResNet (stem, Bottleneck, BasicBlock, PSA in <c>deattn</c>), the DeepLabV3+ ASPP head and the FCN head.
/// </summary>
public static class FlopCounter
{
    private readonly record struct Size(long H, long W)
    {
        public long Area => H * W;
    }

    public static MacReport Count(Segmentor model, ModelConfig cfg, int height, int width)
    {
        if (height < 1 || width < 1)
            throw new SegmenterException($"input size {height}x{width} is empty", "bench crop size", "use a positive crop size");
        if (model is not EncoderDecoder ed || ed.Backbone is not ResNet resnet)
            throw new SegmenterException($"cannot count multiply-adds of {model.GetType().Name}", "model.type",
                "the counter knows encoder_decoder models on a ResNet backbone");
        var entries = new List<MacEntry>();
        long attention = 0;

        var size = new Size(height, width);
        var top = Children(resnet);
        long stem = top.TryGetValue("stem", out var deep) ? Chain(deep, ref size) : Conv((Conv2dLayer)top["conv1"], ref size);
        size = Slide(size, 3, 2, 1, 1); // ResNet max pool 3x3, stride 2, padding 1
        entries.Add(new MacEntry("backbone.stem", stem));
        var stageSizes = new List<Size>();
        for (int i = 0; i < resnet.Stages.Count; i++)
        {
            long macs = 0;
            foreach (var block in resnet.Stages[i].children())
                macs += Block(block, ref size, ref attention);
            entries.Add(new MacEntry($"backbone.layer{i + 1}", macs));
            stageSizes.Add(size);
        }

        long decode = Head(ed.DecodeHead, stageSizes, cfg.DecodeHead.InIndex, cfg.DecodeHead.C1InIndex);
        entries.Add(new MacEntry("decode_head", decode));
        long aux = 0;
        if (ed.AuxiliaryHead is { } auxHead)
        {
            aux = Head(auxHead, stageSizes, cfg.AuxHead?.InIndex ?? 2, 0);
            entries.Add(new MacEntry("auxiliary_head", aux));
        }
        long total = entries.Sum(e => e.Macs);
        return new MacReport(height, width, entries, attention, total, total - aux);
    }

    /// <summary>
    /// MACs of PSA_p / PSA_s on a planes×H×W map as this code evaluates them (see PsaBranches: the bias-free 1×1
    /// convolutions are applied after the reductions over H·W they commute with). Per position: conv_q_right and the
    /// softmax-weighted sum of x (C each); PSA_p's folded spatial query (C), or PSA_s's conv_v_left (C·C/2) and its
    /// product with the pooled query (C/2). Per image: conv_v_right, conv_q_left, PSA_p's fold, conv_up on 1×1 maps.
    /// </summary>
    public static long PsaMacs(nn.Module psa, long height, long width)
    {
        var (c, inter, sequential) = PsaShape(psa);
        long hw = height * width;
        var pooled = new Size(1, 1);
        long up = Chain(Children(psa)["conv_up"], ref pooled);
        long channelGate = 2 * c * hw + c * inter + up;
        long spatialGate = c * inter + (sequential ? c * inter * hw + inter * hw : inter * c + c * hw);
        return channelGate + spatialGate;
    }

    /// <summary>MACs of the official PSA_p / PSA_s formulation (DeLightCMU/PSA): four 1x1 convs at full size, conv_up
    /// on the pooled 1x1 context, and the two (planes/2)×HW products. Same function as <see cref="PsaMacs"/>, more work.</summary>
    public static long PsaOfficialMacs(nn.Module psa, long height, long width)
    {
        var (c, inter, _) = PsaShape(psa);
        var pooled = new Size(1, 1);
        long up = Chain(Children(psa)["conv_up"], ref pooled);
        long hw = height * width;
        return hw * (c + 3 * c * inter) + up + 2 * inter * hw;
    }

    private static (long Channels, long Inter, bool Sequential) PsaShape(nn.Module psa)
    {
        if (psa is not PolarizedSelfAttentionParallel and not PolarizedSelfAttentionSequential)
            throw new SegmenterException($"cannot count multiply-adds of attention module {psa.GetType().Name}",
                "model.backbone.attention.type", "use none or psa");
        var valueRight = (Conv2dLayer)Children(psa)["conv_v_right"];
        return (valueRight.in_channels, valueRight.out_channels, psa is PolarizedSelfAttentionSequential);
    }

    private static long Block(nn.Module block, ref Size size, ref long attention)
    {
        var c = Children(block);
        var input = size;
        long macs = 0;
        foreach (var name in new[] { "conv1", "conv2", "conv3" })
            if (c.TryGetValue(name, out var conv)) macs += Conv((Conv2dLayer)conv, ref size);
        // deattn follows the block's first 3x3 conv, the only strided one, so it sees the block's output size.
        if (c.TryGetValue("deattn", out var psa))
        {
            long a = PsaMacs(psa, size.H, size.W);
            attention += a;
            macs += a;
        }
        if (c.TryGetValue("downsample", out var downsample))
        {
            var shortcut = input;
            macs += Chain(downsample, ref shortcut);
        }
        return macs;
    }

    /// <summary>A decode head: everything runs on the stage at in_index, except the DeepLabV3+ decoder
    /// (c1_bottleneck, sep_bottleneck, classifier), which runs on the low-level stage, and image pooling (1x1).</summary>
    private static long Head(DecodeHead head, IReadOnlyList<Size> stages, int inIndex, int c1Index)
    {
        var x = stages[inIndex];
        var c = Children(head);
        var output = head is DepthwiseSeparableAsppHead && c.ContainsKey("c1_bottleneck") ? stages[c1Index] : x;
        long macs = 0;
        foreach (var (name, child) in c)
        {
            var at = name is "c1_bottleneck" or "sep_bottleneck" or "conv_seg" ? output : x;
            macs += Chain(child, ref at);
        }
        return macs;
    }

    /// <summary>Convolutions applied one after another (ConvModule, separable convs, Sequential), in registration order.</summary>
    private static long Chain(nn.Module m, ref Size size)
    {
        switch (m)
        {
            case Conv2dLayer conv:
                return Conv(conv, ref size);
            case AdaptiveAvgPool2d:
                size = new Size(1, 1); // every adaptive pool in these models pools to 1x1
                return 0;
        }
        long macs = 0;
        foreach (var (_, child) in m.named_children())
            macs += Chain(child, ref size);
        return macs;
    }

    private static long Conv(Conv2dLayer conv, ref Size size)
    {
        if (conv.padding_type == Padding.Same) { /* output keeps the size */ }
        else
        {
            var p = conv.padding ?? [0, 0];
            size = new Size(
                Slide(size.H, conv.kernel_size[0], conv.stride[0], p[0], conv.dilation[0]),
                Slide(size.W, conv.kernel_size[^1], conv.stride[^1], p[^1], conv.dilation[^1]));
        }
        return size.Area * conv.weight.numel();
    }

    private static Size Slide(Size s, long k, long stride, long pad, long dilation) =>
        new(Slide(s.H, k, stride, pad, dilation), Slide(s.W, k, stride, pad, dilation));

    private static long Slide(long n, long k, long stride, long pad, long dilation) =>
        Math.Max(0, (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1);

    private static Dictionary<string, nn.Module> Children(nn.Module m)
    {
        // Ordered as registered (forward order for the chains above).
        var d = new Dictionary<string, nn.Module>();
        foreach (var (name, child) in m.named_children()) d[name] = child;
        return d;
    }
}
