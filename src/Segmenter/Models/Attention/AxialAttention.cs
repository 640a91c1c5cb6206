using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// Position-sensitive axial attention as in csrhddlam/axial-deeplab lib/models/axialnet.py (the PyTorch
/// re-implementation whose checkpoints we load): multi-head 1-D attention along H (<c>width</c> false) or W.
/// <c>qkv_transform</c> (1×1 Conv1d, no bias) + <c>bn_qkv</c> give per head [q (gp/2) | k (gp/2) | v (gp)], gp =
/// out_planes/groups. The relative table <c>relative</c> [2·gp, 2K−1] is gathered with the <c>flatten_index</c> buffer
/// into [2·gp, K, K]. Logits [qk | q·r_q | (k·r_k)ᵀ] go through <c>bn_similarity</c> and are summed per head;
/// softmax over keys; the outputs [attn·v, attn·r_v] are interleaved per channel, normalised by <c>bn_output</c> and
/// summed in pairs; stride &gt; 1 average-pools the result. In the official code the attended axis length L must equal
/// kernel_size K; here L ≤ K is also accepted (the table, which covers offsets −(K−1)..K−1, is gathered for L — identical
/// when L = K, so Axial-DeepLab can run below its crop size). An optional local <c>span</c> m (the paper's m = 65 for huge
/// inputs) masks keys farther than (m−1)/2 from the query before the softmax and lifts the L ≤ K limit (offsets beyond the
/// table are clamped; they are masked anyway). Masking keeps the L×L logits (O(L²) memory, not a windowed O(L·m) kernel)
/// and bn_similarity still sees the masked logits' statistics. <c>bias</c> is accepted and, as in the official code, unused.
/// </summary>
public sealed class AxialAttention : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv1d qkv_transform;
    private readonly BatchNorm bn_qkv;
    private readonly BatchNorm bn_similarity;
    private readonly BatchNorm bn_output;
    private readonly Parameter relative;
    private readonly Tensor flatten_index;
    private readonly AvgPool2d? pooling;

    public int InPlanes { get; }
    public int OutPlanes { get; }
    public int Groups { get; }
    public int GroupPlanes { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public bool Bias { get; }
    public bool Width { get; }
    /// <summary>Local span m (odd; keys within (m−1)/2 of the query), or null for global attention.</summary>
    public int? Span { get; }

    public AxialAttention(int in_planes, int out_planes, int groups = 8, int kernel_size = 56, int stride = 1, bool bias = false, bool width = false,
        int? span = null)
        : base("AxialAttention")
    {
        if (span is { } m && (m < 1 || m % 2 == 0 || m > 2 * kernel_size - 1))
            throw new SegmenterException($"AxialAttention span {m} must be odd and at most 2·kernel_size−1 ({2 * kernel_size - 1})", "AxialAttention",
                "use an odd span such as 65, with kernel_size ≥ (span+1)/2");
        Span = span;
        if (groups <= 0 || in_planes <= 0 || out_planes <= 0 || in_planes % groups != 0 || out_planes % groups != 0)
            throw new SegmenterException($"AxialAttention needs in_planes ({in_planes}) and out_planes ({out_planes}) divisible by groups ({groups})", "AxialAttention", "pick channel widths that are multiples of the number of heads");
        if (out_planes / groups % 2 != 0)
            throw new SegmenterException($"AxialAttention needs an even number of channels per head, got {out_planes / groups}", "AxialAttention", "make out_planes / groups even");
        if (kernel_size <= 0 || stride <= 0)
            throw new SegmenterException($"AxialAttention kernel_size ({kernel_size}) and stride ({stride}) must be positive", "AxialAttention", "kernel_size is the attended axis length");
        InPlanes = in_planes;
        OutPlanes = out_planes;
        Groups = groups;
        GroupPlanes = out_planes / groups;
        KernelSize = kernel_size;
        Stride = stride;
        Bias = bias;
        Width = width;

        qkv_transform = nn.Conv1d(in_planes, out_planes * 2, 1, bias: false);
        bn_qkv = BatchNormLayer.OneD(out_planes * 2);
        bn_similarity = BatchNormLayer.TwoD(groups * 3);
        bn_output = BatchNormLayer.OneD(out_planes * 2);
        relative = new Parameter(torch.empty(GroupPlanes * 2, kernel_size * 2 - 1));
        // flatten_index[i·K + j] = i − j + K − 1 (row i = key_index, column j = query_index in the official code).
        using (var queryIndex = torch.arange(kernel_size, ScalarType.Int64).unsqueeze(0))
        using (var keyIndex = torch.arange(kernel_size, ScalarType.Int64).unsqueeze(1))
            flatten_index = (keyIndex - queryIndex + (kernel_size - 1)).view(-1);
        if (stride > 1) pooling = nn.AvgPool2d(stride, stride);
        RegisterComponents();
        ResetParameters();
    }

    /// <summary>Official <c>reset_parameters</c>: qkv_transform ~ N(0, 1/in_planes), relative ~ N(0, 1/group_planes) (std = sqrt of those).</summary>
    private void ResetParameters()
    {
        using var noGrad = torch.no_grad();
        nn.init.normal_(qkv_transform.weight!, 0, Math.Sqrt(1.0 / InPlanes));
        nn.init.normal_(relative, 0, Math.Sqrt(1.0 / GroupPlanes));
    }

    /// <summary>flatten_index for axis length <paramref name="len"/>: key − query + K − 1, clamped to the table.</summary>
    private Tensor RelativeIndex(long len)
    {
        var query = torch.arange(len, ScalarType.Int64, device: relative.device).unsqueeze(0);
        var key = torch.arange(len, ScalarType.Int64, device: relative.device).unsqueeze(1);
        return (key - query + (KernelSize - 1)).clamp(0, 2 * KernelSize - 2).view(-1);
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4)
            throw new SegmenterException($"AxialAttention expects [N,C,H,W], got {x.dim()} dims", "AxialAttention", "pass a 4-D feature map");
        using var scope = NewDisposeScope();
        var t = Width ? x.permute(0, 2, 1, 3) : x.permute(0, 3, 1, 2); // [N, W, C, H] (width: [N, H, C, W])
        long n = t.shape[0], other = t.shape[1], c = t.shape[2], len = t.shape[3];
        if (Span is null && len > KernelSize)
            throw new SegmenterException($"AxialAttention along {(Width ? "W" : "H")} needs axis length <= kernel_size {KernelSize}, got {len}", "AxialAttention", "set kernel_size to at least the feature size along that axis (derive it from the crop size), or use a local span");
        if (c != InPlanes)
            throw new SegmenterException($"AxialAttention expects {InPlanes} input channels, got {c}", "AxialAttention", "check the block widths");
        long b = n * other, gp = GroupPlanes, half = gp / 2;
        t = t.contiguous().view(b, c, len);

        var qkv = bn_qkv.call(qkv_transform.forward(t)).reshape(b, Groups, gp * 2, len);
        var parts = torch.split(qkv, new[] { half, half, gp }, 2);
        Tensor q = parts[0], k = parts[1], v = parts[2];

        var index = len == KernelSize && Span is null ? flatten_index : RelativeIndex(len);
        var embeddings = relative.index_select(1, index).view(gp * 2, len, len);
        var emb = torch.split(embeddings, new[] { half, half, gp }, 0);
        var qr = torch.einsum("bgci,cij->bgij", q, emb[0]);
        var kr = torch.einsum("bgci,cij->bgij", k, emb[1]).transpose(2, 3);
        var qk = torch.einsum("bgci,bgcj->bgij", q, k);
        var stacked = torch.cat(new[] { qk, qr, kr }, 1);
        stacked = bn_similarity.call(stacked).view(b, 3, Groups, len, len).sum(1);
        if (Span is { } m)
        {
            var qi = torch.arange(len, ScalarType.Int64, device: x.device).unsqueeze(1);
            var kj = torch.arange(len, ScalarType.Int64, device: x.device).unsqueeze(0);
            stacked = stacked.masked_fill((qi - kj).abs() > (m - 1) / 2, double.NegativeInfinity);
        }
        var similarity = stacked.softmax(3);
        var sv = torch.einsum("bgij,bgcj->bgci", similarity, v);
        var sve = torch.einsum("bgij,cij->bgci", similarity, emb[2]);
        var output = torch.cat(new[] { sv, sve }, -1).view(b, OutPlanes * 2, len);
        output = bn_output.call(output).view(n, other, OutPlanes, 2, len).sum(-2);
        output = Width ? output.permute(0, 2, 1, 3) : output.permute(0, 2, 3, 1);
        if (pooling is not null) output = pooling.forward(output);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ONNX nodes of <see cref="forward"/> with the same einsums (Einsum-12); bn_qkv is folded into qkv_transform, the
    /// relative table is gathered for the axis length read from the graph (so dynamic sizes up to kernel_size work).
    /// </summary>
    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        if (Span is not null)
            throw new SegmenterException("ONNX export of local-span axial attention is not supported", "model.backbone.axial.span",
                "export a model with global axial attention (span null)");
        using var scope = NewDisposeScope();
        long gp = GroupPlanes, half = gp / 2;
        var t = Width ? g.Transpose(x, 0, 2, 1, 3) : g.Transpose(x, 0, 3, 1, 2);  // [N, other, C, L]
        var len = g.Shape(t, 3, 4);
        var lead = g.Shape(t, 0, 2);
        t = g.ReshapeTo(t, g.Concat(0, g.Int64Const(-1, InPlanes), len));            // [B, C, L]
        var (scale, shift) = OnnxGraphBuilder.FoldedAffine(bn_qkv);
        var w = qkv_transform.weight!.detach().to(ScalarType.Float64).cpu().view(OutPlanes * 2, InPlanes) * scale.view(-1, 1);
        var qkv = g.Add(g.MatMul(g.Initializer(w, "qkv.weight"), t), g.Initializer(shift.view(-1, 1), "qkv.bias"));
        qkv = g.Reshape(qkv, 0, Groups, gp * 2, -1);                                     // [B, G, 2gp, L]
        var qkvParts = g.Split(qkv, 2, half, half, gp);
        string q = qkvParts[0], k = qkvParts[1], v = qkvParts[2];

        var range = g.Range(len);
        var index = g.Add(g.Sub(g.Unsqueeze(range, 1), g.Unsqueeze(range, 0)), g.Int64Scalar(KernelSize - 1));
        var embeddings = g.Gather(g.Initializer(relative, "relative"), g.Reshape(index, -1), 1);
        embeddings = g.ReshapeTo(embeddings, g.Concat(0, g.Int64Const(gp * 2), len, len));
        var emb = g.Split(embeddings, 0, half, half, gp);
        var qr = g.Einsum("bgci,cij->bgij", q, emb[0]);
        var kr = g.Transpose(g.Einsum("bgci,cij->bgij", k, emb[1]), 0, 1, 3, 2);
        var qk = g.Einsum("bgci,bgcj->bgij", q, k);
        var stacked = g.BatchNorm(g.Concat(1, qk, qr, kr), bn_similarity);
        stacked = g.ReduceSum(g.ReshapeTo(stacked, g.Concat(0, g.Int64Const(-1, 3, Groups), len, len)), 1, keepDims: false);
        var similarity = g.Softmax(stacked, 3);
        var sv = g.Einsum("bgij,bgcj->bgci", similarity, v);
        var sve = g.Einsum("bgij,cij->bgci", similarity, emb[2]);
        var output = g.ReshapeTo(g.Concat(-1, sv, sve), g.Concat(0, g.Int64Const(-1, OutPlanes * 2), len));
        output = g.BatchNorm(output, bn_output, rank: 3);
        output = g.ReduceSum(g.ReshapeTo(output, g.Concat(0, lead, g.Int64Const(OutPlanes, 2), len)), 3, keepDims: false);
        output = Width ? g.Transpose(output, 0, 2, 1, 3) : g.Transpose(output, 0, 2, 3, 1);
        return pooling is not null ? g.AveragePool(output, Stride, Stride) : output;
    }
}
