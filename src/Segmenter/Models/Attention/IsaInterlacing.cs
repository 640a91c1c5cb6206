using Segmenter.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// The interlaced sparse self-attention layout shared by openseg ISA_Block and mmseg ISAHead (identical in both):
/// zero-pad H,W symmetrically (floor half before) to multiples of the local group size (dh, dw); run the long-range
/// attention over the ceil(H/dh)×ceil(W/dw) pixels that share one offset inside their group; run the short-range
/// attention inside each dh×dw group; restore the layout and crop the padding away. Padded zeros take part in both
/// attentions, as in the official code.
/// </summary>
internal static class IsaInterlacing
{
    public static Tensor Apply(Tensor x, (int H, int W) groupSize, Func<Tensor, Tensor> longRange, Func<Tensor, Tensor> shortRange)
    {
        if (x.dim() != 4)
            throw new SegmenterException($"ISA expects an [N,C,H,W] feature, got {x.dim()} dims", "ISA interlacing", "pass a 4-D feature map");
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        long dh = groupSize.H, dw = groupSize.W;
        long qh = (h + dh - 1) / dh, qw = (w + dw - 1) / dw;
        long padH = qh * dh - h, padW = qw * dw - w;
        bool padded = padH > 0 || padW > 0;
        var feats = padded ? nn.functional.pad(x, new[] { padW / 2, padW - padW / 2, padH / 2, padH - padH / 2 }) : x;

        // long range: [N, C, Qh, dh, Qw, dw] -> [N·dh·dw, C, Qh, Qw]
        feats = feats.reshape(n, c, qh, dh, qw, dw).permute(0, 3, 5, 1, 2, 4).contiguous().view(-1, c, qh, qw);
        feats = longRange(feats);
        long co = feats.shape[1];

        // short range: [N, dh, dw, C', Qh, Qw] -> [N·Qh·Qw, C', dh, dw]
        feats = feats.view(n, dh, dw, co, qh, qw).permute(0, 4, 5, 3, 1, 2).contiguous().view(-1, co, dh, dw);
        feats = shortRange(feats);

        // restore: [N, Qh, Qw, C', dh, dw] -> [N, C', Qh·dh, Qw·dw]
        feats = feats.view(n, qh, qw, co, dh, dw).permute(0, 3, 1, 4, 2, 5).contiguous().view(n, co, qh * dh, qw * dw);
        return padded ? feats.narrow(2, padH / 2, h).narrow(3, padW / 2, w) : feats;
    }

    /// <summary>
    /// ONNX nodes of <see cref="Apply"/> with the spatial size read from the graph (padding, group counts and the crop
    /// computed with int64 Shape arithmetic), so fixed and dynamic exports share them.
    /// </summary>
    public static string EmitApply(OnnxGraphBuilder g, string x, (int H, int W) groupSize, Func<string, string> longRange, Func<string, string> shortRange)
    {
        long dh = groupSize.H, dw = groupSize.W;
        var n = g.Shape(x, 0, 1);
        var c = g.Shape(x, 1, 2);
        var h = g.Shape(x, 2, 3);
        var w = g.Shape(x, 3, 4);
        string Const(long v) => g.Int64Const(v);
        var qh = g.Div(g.Add(h, Const(dh - 1)), Const(dh));
        var qw = g.Div(g.Add(w, Const(dw - 1)), Const(dw));
        var padH = g.Sub(g.Mul(qh, Const(dh)), h);
        var padW = g.Sub(g.Mul(qw, Const(dw)), w);
        var top = g.Div(padH, Const(2));
        var left = g.Div(padW, Const(2));
        var feats = g.PadHw(x, top, left, g.Sub(padH, top), g.Sub(padW, left));

        feats = g.ReshapeTo(feats, g.Concat(0, n, c, qh, Const(dh), qw, Const(dw)));
        feats = g.Transpose(feats, 0, 3, 5, 1, 2, 4);
        feats = g.ReshapeTo(feats, g.Concat(0, g.Int64Const(-1), c, qh, qw));
        feats = longRange(feats);
        var co = g.Shape(feats, 1, 2);

        feats = g.ReshapeTo(feats, g.Concat(0, n, g.Int64Const(dh, dw), co, qh, qw));
        feats = g.Transpose(feats, 0, 4, 5, 3, 1, 2);
        feats = g.ReshapeTo(feats, g.Concat(0, g.Int64Const(-1), co, g.Int64Const(dh, dw)));
        feats = shortRange(feats);

        feats = g.ReshapeTo(feats, g.Concat(0, n, qh, qw, co, g.Int64Const(dh, dw)));
        feats = g.Transpose(feats, 0, 3, 1, 4, 2, 5);
        feats = g.ReshapeTo(feats, g.Concat(0, n, co, g.Mul(qh, Const(dh)), g.Mul(qw, Const(dw))));
        return g.Slice(feats, g.Concat(0, top, left), g.Concat(0, g.Add(top, h), g.Add(left, w)), 2, 3);
    }

    public static void Validate((int H, int W) groupSize, string where)
    {
        if (groupSize.H <= 0 || groupSize.W <= 0)
            throw new SegmenterException($"ISA down factor ({groupSize.H}, {groupSize.W}) must be positive", where, "use the local group size, e.g. (8, 8)");
    }
}
