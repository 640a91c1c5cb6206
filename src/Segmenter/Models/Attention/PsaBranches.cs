using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// The two gates shared by PSA_p and PSA_s, written once so both variants keep the official operation order
/// (the official code calls them <c>spatial_pool</c> = channel gate and <c>channel_pool</c> = spatial gate).
/// </summary>
internal static class PsaBranches
{
    /// <summary>x · sigmoid(up(value · softmax_HW(query)ᵀ)): one gate per channel, broadcast over space.</summary>
    public static Tensor ChannelGate(Tensor x, nn.Module<Tensor, Tensor> query, nn.Module<Tensor, Tensor> value, nn.Module<Tensor, Tensor> up)
    {
        var v = value.forward(x);
        long n = v.shape[0], c = v.shape[1], hw = v.shape[2] * v.shape[3];
        v = v.view(n, c, hw);
        var mask = query.forward(x).view(n, 1, hw).softmax(2);
        var context = torch.matmul(v, mask.transpose(1, 2)).unsqueeze(-1);
        return x * up.forward(context).sigmoid();
    }

    /// <summary>
    /// x · sigmoid(mean(query) · value): one gate per position, broadcast over channels. PSA_p takes the softmax over
    /// H·W of the product; PSA_s (<paramref name="softmaxKeysFirst"/>) takes it over H·W of each value channel before.
    /// </summary>
    public static Tensor SpatialGate(Tensor x, nn.Module<Tensor, Tensor> query, nn.Module<Tensor, Tensor> value, bool softmaxKeysFirst)
    {
        var g = query.forward(x);
        long n = g.shape[0], c = g.shape[1], h = g.shape[2], w = g.shape[3];
        var pooled = nn.functional.adaptive_avg_pool2d(g, new long[] { 1, 1 }).view(n, c, 1).permute(0, 2, 1);
        var theta = value.forward(x).view(n, c, h * w);
        if (softmaxKeysFirst) theta = theta.softmax(2);
        var context = torch.matmul(pooled, theta);
        if (!softmaxKeysFirst) context = context.softmax(2);
        return x * context.view(n, 1, h, w).sigmoid();
    }
}
