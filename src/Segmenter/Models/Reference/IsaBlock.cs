using Segmenter.Models.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Reference;

/// <summary>
/// openseg <c>ISA_Block</c>: interlaced sparse self-attention with local group size <c>down_factor</c> (dh, dw):
/// <c>long_range_sa</c> over pixels sharing a group offset, then <c>short_range_sa</c> inside each group
/// (see <see cref="IsaInterlacing"/>). Output has <c>out_channels</c> channels and the input's H×W.
/// </summary>
public sealed class IsaBlock : nn.Module<Tensor, Tensor>
{
    private readonly SelfAttentionBlock2D long_range_sa;
    private readonly SelfAttentionBlock2D short_range_sa;

    public (int H, int W) DownFactor { get; }
    public int OutChannels { get; }

    public IsaBlock(int in_channels, int key_channels, int value_channels, int out_channels, (int H, int W) down_factor) : base("ISA_Block")
    {
        IsaInterlacing.Validate(down_factor, "IsaBlock");
        DownFactor = down_factor;
        OutChannels = out_channels;
        long_range_sa = new SelfAttentionBlock2D(in_channels, key_channels, value_channels, out_channels);
        short_range_sa = new SelfAttentionBlock2D(out_channels, key_channels, value_channels, out_channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return IsaInterlacing.Apply(x, DownFactor, long_range_sa.forward, short_range_sa.forward).MoveToOuterDisposeScope();
    }
}
