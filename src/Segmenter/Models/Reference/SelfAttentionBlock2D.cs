using Segmenter.Models.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Reference;

/// <summary>
/// openseg <c>SelfAttentionBlock2D</c> (lib/models/modules/isa_block.py): key and query are two (1×1 conv, BN, ReLU)
/// stages each, value a bias-free 1×1 conv, affinity softmax(QᵀK · key_channels^−0.5) over keys, output <c>W</c> =
/// 1×1 conv + BN + ReLU. State-dict names as openseg with bn_type torchbn (<c>f_key.1.0.*</c> is the BatchNorm).
/// </summary>
public sealed class SelfAttentionBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly Sequential f_key;
    private readonly Sequential f_query;
    private readonly Conv2dLayer f_value;
    private readonly Sequential W;

    public int InChannels { get; }
    public int KeyChannels { get; }
    public int ValueChannels { get; }
    public int OutChannels { get; }

    public SelfAttentionBlock2D(int in_channels, int key_channels, int value_channels, int? out_channels = null) : base("SelfAttentionBlock2D")
    {
        if (in_channels <= 0 || key_channels <= 0 || value_channels <= 0 || out_channels is <= 0)
            throw new SegmenterException($"SelfAttentionBlock2D channels must be positive, got in {in_channels}, key {key_channels}, value {value_channels}, out {out_channels}", "SelfAttentionBlock2D", "check the ISA channel settings");
        InChannels = in_channels;
        KeyChannels = key_channels;
        ValueChannels = value_channels;
        OutChannels = out_channels ?? in_channels;
        f_key = KeyOrQuery(in_channels, key_channels);
        f_query = KeyOrQuery(in_channels, key_channels);
        f_value = Conv2dLayer.Create(in_channels, value_channels, 1, bias: false);
        W = nn.Sequential(Conv2dLayer.Create(value_channels, OutChannels, 1, bias: false), BnRelu(OutChannels));
        RegisterComponents();
    }

    /// <summary>openseg <c>ModuleHelper.BNReLU(c, bn_type='torchbn')</c>: Sequential(BatchNorm2d, ReLU).</summary>
    internal static Sequential BnRelu(long channels) => nn.Sequential(BatchNormLayer.TwoD(channels), nn.ReLU());

    private static Sequential KeyOrQuery(long inChannels, long keyChannels) => nn.Sequential(
        Conv2dLayer.Create(inChannels, keyChannels, 1, bias: false), BnRelu(keyChannels),
        Conv2dLayer.Create(keyChannels, keyChannels, 1, bias: false), BnRelu(keyChannels));

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var value = f_value.forward(x).view(n, ValueChannels, -1).permute(0, 2, 1);
        var query = f_query.forward(x).view(n, KeyChannels, -1).permute(0, 2, 1);
        var key = f_key.forward(x).view(n, KeyChannels, -1);
        var sim = (Math.Pow(KeyChannels, -0.5) * torch.matmul(query, key)).softmax(-1);
        var context = torch.matmul(sim, value).permute(0, 2, 1).contiguous().view(n, ValueChannels, h, w);
        return W.forward(context).MoveToOuterDisposeScope();
    }
}
