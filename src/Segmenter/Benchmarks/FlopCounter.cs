using Segmenter.Training;
using Segmenter.Models;
using Segmenter.Config;
using Segmenter.Models.Attention;
using Segmenter.Models.Backbones;
using Segmenter.Models.Heads;
using Segmenter.Models.Panoptic;
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

    /// <summary>The `config show --model-summary` table: M-Adds per part in billions (10⁹), the attention share and the
    /// inference total (without the auxiliary head), for one image of Height×Width.</summary>
    public string Format()
    {
        static string B(long v) => (v / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        int width = Math.Max(24, Entries.Select(e => e.Name.Length).DefaultIfEmpty(0).Max() + 2);
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{$"M-Adds at {Height}x{Width}".PadRight(width)}{"B (10^9)",14}");
        foreach (var e in Entries) sb.AppendLine($"{e.Name.PadRight(width)}{B(e.Macs),14}");
        if (Attention > 0) sb.AppendLine($"{"of which attention".PadRight(width)}{B(Attention),14}");
        if (Inference != Total) sb.AppendLine($"{"training forward".PadRight(width)}{B(Total),14}");
        sb.AppendLine($"{"inference total".PadRight(width)}{B(Inference),14}");
        return sb.ToString();
    }
}

/// <summary>
/// Counts multiply-adds (MACs) analytically, the convention of fvcore / torchvision's GFLOPS column: every
/// convolution costs out_h·out_w·weight.numel() per image (out_channels·in_channels/groups·kh·kw per output
/// position), every matrix product of an attention costs its m·n·k (PSA's two (planes/2)·H·W products; ISA's
/// affinity N²·isa_channels and context N²·channels per group of N positions; axial attention's q·k, q·r_q, k·r_k
/// (N²·d_q each) and the two retrievals from v and r_v (N²·d_v each) per line of N positions); BatchNorm, ReLU,
/// pooling, softmax, sigmoid, element-wise gating, residual adds and resizes are not counted. TorchSharp forward
/// hooks only fire through <c>Module.call</c> and this code base calls <c>forward</c>, so instead of hooks the counter
/// walks the module tree in forward order and tracks each feature map's size with the arithmetic of each layer, without
/// running a forward pass (the size table's 1025×2049 models count in milliseconds).
/// Knows ResNet (stem, Bottleneck, BasicBlock, PSA in <c>deattn</c>), Axial-ResNet (stems, AxialBlock), the DeepLabV3+
/// ASPP, FCN and ISA heads, and the Panoptic-DeepLab decoders and heads.
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
            throw new SegmenterException($"input size {height}x{width} is empty", "input size", "use a positive input size");
        var entries = new List<MacEntry>();
        long attention = 0;
        switch (model)
        {
            case EncoderDecoder ed:
            {
                var stageSizes = BackboneMacs(ed.Backbone, new Size(height, width), entries, ref attention);
                long decode = Head(ed.DecodeHead, stageSizes, cfg.DecodeHead.InIndex, cfg.DecodeHead.C1InIndex, ref attention);
                entries.Add(new MacEntry("decode_head", decode));
                long aux = 0;
                if (ed.AuxiliaryHead is { } auxHead)
                {
                    aux = Head(auxHead, stageSizes, cfg.AuxHead?.InIndex ?? 2, 0, ref attention);
                    entries.Add(new MacEntry("auxiliary_head", aux));
                }
                long total = entries.Sum(e => e.Macs);
                return new MacReport(height, width, entries, attention, total, total - aux);
            }
            case PanopticDeepLab pd:
            {
                var stageSizes = BackboneMacs(pd.Backbone, new Size(height, width), entries, ref attention);
                PanopticMacs(pd.Decoder, cfg.Panoptic, stageSizes, entries);
                long total = entries.Sum(e => e.Macs);
                return new MacReport(height, width, entries, attention, total, total);
            }
            default:
                throw new SegmenterException($"cannot count multiply-adds of {model.GetType().Name}", "model.type",
                    "the counter knows encoder_decoder and panoptic_deeplab models");
        }
    }

    /// <summary>Backbone entries (stem, layer1..4) added to <paramref name="entries"/>; returns each stage's output size.</summary>
    private static List<Size> BackboneMacs(Backbone backbone, Size size, List<MacEntry> entries, ref long attention)
    {
        var top = Children(backbone);
        long stem;
        if (top.TryGetValue("stem", out var deep)) stem = Chain(deep, ref size);
        else stem = Conv((Conv2dLayer)top["conv1"], ref size);
        // ResNet always, the conv7 Axial-ResNet too: max pool 3x3, stride 2, padding 1 (the inception stem has none).
        if (top.ContainsKey("maxpool")) size = Slide(size, 3, 2, 1, 1);
        entries.Add(new MacEntry("backbone.stem", stem));
        var stageSizes = new List<Size>();
        for (int i = 1; i <= 4; i++)
        {
            long macs = 0;
            foreach (var block in top[$"layer{i}"].children())
                macs += block is AxialBlock axial ? AxialBlockMacs(axial, ref size, ref attention) : Block(block, ref size, ref attention);
            entries.Add(new MacEntry($"backbone.layer{i}", macs));
            stageSizes.Add(size);
        }
        return stageSizes;
    }

    /// <summary>conv_down, the height then the width attention (both at the block's input size; the width block's
    /// AvgPool strides after it), conv_up at the strided size, and the strided downsample.</summary>
    private static long AxialBlockMacs(AxialBlock block, ref Size size, ref long attention)
    {
        var c = Children(block);
        var input = size;
        long macs = Conv((Conv2dLayer)c["conv_down"], ref size);
        long att = AxialAttentionMacs((AxialAttention)c["hight_block"], size) + AxialAttentionMacs((AxialAttention)c["width_block"], size);
        attention += att;
        macs += att;
        size = new Size(size.H / block.Stride, size.W / block.Stride);
        macs += Conv((Conv2dLayer)c["conv_up"], ref size);
        if (c.TryGetValue("downsample", out var downsample))
        {
            var shortcut = input;
            macs += Chain(downsample, ref shortcut);
        }
        return macs;
    }

    /// <summary>
    /// One axial attention on an H×W map: the qkv 1×1 projection at every position, then per line of N positions along
    /// the attended axis the three similarity products q·k, q·r_q, k·r_k (N²·out/2 summed over the heads: gp/2 per head)
    /// and the two retrievals attn·v and attn·r_v (N²·out each). With a local span the code still forms all N² products.
    /// </summary>
    public static long AxialAttentionMacs(AxialAttention a, long height, long width) => AxialAttentionMacs(a, new Size(height, width));

    private static long AxialAttentionMacs(AxialAttention a, Size size)
    {
        long n = a.Width ? size.W : size.H;
        long lines = a.Width ? size.H : size.W;
        long qkv = size.Area * a.InPlanes * 2L * a.OutPlanes;
        long products = lines * n * n * (3L * a.OutPlanes / 2 + 2L * a.OutPlanes);
        return qkv + products;
    }

    /// <summary>Both Panoptic-DeepLab decoders (ASPP or its 1×1 projection on the feature stage, then per low-level stage
    /// the projection and the fusion conv at that stage's size) and their heads at the last low-level stage's size.</summary>
    private static void PanopticMacs(PanopticDeepLabDecoder decoder, PanopticConfig cfg, IReadOnlyList<Size> stages, List<MacEntry> entries)
    {
        var c = Children(decoder);
        var headSize = stages[cfg.LowLevelIndex[^1]];
        foreach (var branch in new[] { "semantic", "instance" })
        {
            var d = Children(c[$"{branch}_decoder"]);
            var feature = stages[cfg.FeatureIndex];
            long macs = 0;
            var aspp = d["aspp"];
            if (aspp is PanopticAspp)
            {
                var a = Children(aspp);
                foreach (var (_, conv) in a["convs"].named_children())
                {
                    var at = feature;
                    macs += Chain(conv, ref at);
                }
                var projected = feature;
                macs += Chain(a["project"], ref projected);
            }
            else
            {
                var at = feature;
                macs += Chain(aspp, ref at);
            }
            var project = d["project"].children().ToList();
            var fuse = d["fuse"].children().ToList();
            for (int i = 0; i < project.Count; i++)
            {
                var low = stages[cfg.LowLevelIndex[i]];
                var at = low;
                macs += Chain(project[i], ref at);
                at = low;
                macs += Chain(fuse[i], ref at);
            }
            entries.Add(new MacEntry($"decoder.{branch}_decoder", macs));
            var headAt = headSize;
            entries.Add(new MacEntry($"decoder.{branch}_head", Chain(c[$"{branch}_head"], ref headAt, parallel: true)));
        }
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
    private static long Head(DecodeHead head, IReadOnlyList<Size> stages, int inIndex, int c1Index, ref long attention)
    {
        var x = stages[inIndex];
        var c = Children(head);
        if (head is IsaDecodeHead isa) return IsaMacs(isa, c, x, ref attention);
        var output = head is DepthwiseSeparableAsppHead && c.ContainsKey("c1_bottleneck") ? stages[c1Index] : x;
        long macs = 0;
        foreach (var (name, child) in c)
        {
            var at = name is "c1_bottleneck" or "sep_bottleneck" or "conv_seg" ? output : x;
            macs += Chain(child, ref at);
        }
        return macs;
    }

    /// <summary>
    /// mmseg ISAHead on an H×W map: in_conv, then the interlacing pads to Q·P (Q = ceil(H/P)) per axis and runs
    /// global_relation on P_h·P_w groups of Q_h·Q_w positions and local_relation on Q_h·Q_w groups of P_h·P_w positions:
    /// each the key/query/value/output 1×1 projections at every padded position plus N²·isa_channels (affinity) and
    /// N²·channels (context) per group of N; out_conv and conv_seg at H×W.
    /// </summary>
    private static long IsaMacs(IsaDecodeHead head, Dictionary<string, nn.Module> c, Size x, ref long attention)
    {
        var (ph, pw) = head.DownFactor;
        long qh = (x.H + ph - 1) / ph, qw = (x.W + pw - 1) / pw;
        var padded = new Size(qh * ph, qw * pw);
        long macs = 0;
        var at = x;
        macs += Chain(c["in_conv"], ref at);
        long relations = 0;
        foreach (var (name, groups, n) in new[] { ("global_relation", ph * pw, qh * qw), ("local_relation", qh * qw, (long)ph * pw) })
        {
            var block = (MmsegSelfAttentionBlock)c[name];
            var p = padded;
            relations += Chain(block, ref p, parallel: true) + groups * n * n * (block.Channels + block.InChannels);
        }
        attention += relations;
        macs += relations;
        foreach (var name in new[] { "out_conv", "conv_seg" })
        {
            at = x;
            macs += Chain(c[name], ref at);
        }
        return macs;
    }

    /// <summary>Convolutions applied one after another (ConvModule, separable convs, Sequential), in registration order;
    /// <paramref name="parallel"/>: the direct children are branches that each start from the given size.</summary>
    private static long Chain(nn.Module m, ref Size size, bool parallel)
    {
        if (!parallel) return Chain(m, ref size);
        long macs = 0;
        var start = size;
        foreach (var (_, child) in m.named_children())
        {
            var at = start;
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
