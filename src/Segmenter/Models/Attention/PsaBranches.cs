using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// The two gates shared by PSA_p and PSA_s, written once so both variants keep the official operation order
/// (the official code calls them <c>spatial_pool</c> = channel gate and <c>channel_pool</c> = spatial gate).
/// <para>
/// Same math, fewer multiply-adds: the official code applies its bias-free 1×1 convolutions at every position and
/// then pools or contracts over H·W. A bias-free 1×1 convolution is linear, so it commutes with those reductions:
/// W·mean(x) = mean(W·x) and (W·x)·m = W·(x·m). We reduce first and apply the weights to one vector per image, and
/// for PSA_p's spatial gate fold the pooled query into the value weights (qᵀ·W·x = (Wᵀq)ᵀ·x). The parameters are
/// the official ones; only the evaluation order differs (results agree to float rounding, see the parity tests).
/// </para>
/// </summary>
internal static class PsaBranches
{
    /// <summary>sigmoid(up(value(x) · softmax_HW(query(x))ᵀ)), [N, C, 1, 1]: one gate per channel, to broadcast over space.</summary>
    public static Tensor ChannelGate(Tensor x, Conv2dLayer query, Conv2dLayer value, nn.Module<Tensor, Tensor> up)
    {
        long n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
        var mask = query.forward(x).view(n, 1, hw).softmax(2);
        // value(x)·maskᵀ = value(x·maskᵀ): the softmax-weighted mean of x, then the 1×1 value conv on it.
        var pooledInput = torch.matmul(x.view(n, c, hw), mask.transpose(1, 2)).view(n, c, 1, 1);
        var context = value.forward(pooledInput);
        return up.forward(context).sigmoid();
    }

    /// <summary>
    /// sigmoid(mean(query(x)) · value(x)), [N, 1, H, W]: one gate per position, to broadcast over channels. PSA_p takes the softmax over
    /// H·W of the product; PSA_s (<paramref name="softmaxKeysFirst"/>) takes it over H·W of each value channel before.
    /// </summary>
    public static Tensor SpatialGate(Tensor x, Conv2dLayer query, Conv2dLayer value, bool softmaxKeysFirst)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        // mean_HW(query(x)) = query(mean_HW(x)): [N, inter, 1, 1] -> [N, 1, inter].
        var pooled = query.forward(nn.functional.adaptive_avg_pool2d(x, new long[] { 1, 1 }));
        long inter = pooled.shape[1];
        pooled = pooled.view(n, 1, inter);
        Tensor context;
        if (softmaxKeysFirst)
        {
            var theta = value.forward(x).view(n, inter, h * w).softmax(2);
            context = torch.matmul(pooled, theta);
        }
        else
        {
            // pooledᵀ·(W·x) = (Wᵀ·pooled)ᵀ·x: one [N, 1, C] row against x instead of a full value convolution.
            var folded = torch.matmul(pooled, value.weight!.view(inter, c));
            context = torch.matmul(folded, x.view(n, c, h * w)).softmax(2);
        }
        return context.view(n, 1, h, w).sigmoid();
    }

    /// <summary>ONNX nodes of <see cref="ChannelGate"/>, in the same (reduce-first) order.</summary>
    public static string EmitChannelGate(OnnxGraphBuilder g, string x, Conv2dLayer query, Conv2dLayer value, nn.Module<Tensor, Tensor> up)
    {
        var mask = g.Softmax(g.Reshape(query.EmitOnnx(g, x), 0, 1, -1), 2);
        var pooledInput = g.Reshape(g.MatMul(g.Reshape(x, 0, 0, -1), g.Transpose(mask, 0, 2, 1)), 0, 0, 1, 1);
        return g.Sigmoid(g.Emit(up, value.EmitOnnx(g, pooledInput)));
    }

    /// <summary>ONNX nodes of <see cref="SpatialGate"/>, in the same order (value weights folded into the query for PSA_p).</summary>
    public static string EmitSpatialGate(OnnxGraphBuilder g, string x, Conv2dLayer query, Conv2dLayer value, bool softmaxKeysFirst)
    {
        var pooled = g.Reshape(query.EmitOnnx(g, g.GlobalAveragePool(x)), 0, 1, -1);
        string context;
        if (softmaxKeysFirst)
            context = g.MatMul(pooled, g.Softmax(g.Reshape(value.EmitOnnx(g, x), 0, 0, -1), 2));
        else
        {
            long inter = value.weight!.shape[0], c = value.weight!.shape[1];
            var folded = g.MatMul(pooled, g.Initializer(value.weight!.view(inter, c), "psa.v_left"));
            context = g.Softmax(g.MatMul(folded, g.Reshape(x, 0, 0, -1)), 2);
        }
        var shape = g.Concat(0, g.Shape(x, 0, 1), g.Int64Const(1), g.Shape(x, 2, 4));
        return g.Sigmoid(g.ReshapeTo(context, shape));
    }
}
