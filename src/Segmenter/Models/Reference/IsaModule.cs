using Segmenter.Models.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Reference;

/// <summary>
/// openseg <c>ISA_Module</c>: one <see cref="IsaBlock"/> per down factor (<c>stages.i</c>), then
/// <c>conv_bn</c> = 1×1 conv + BN + ReLU + Dropout2d on cat([input, context]) (input FIRST, unlike mmseg). With
/// several factors the input goes through <c>up_conv</c> (1×1 conv + BN + ReLU to factors·out channels) and the
/// context is the concatenation of all stage outputs.
/// </summary>
public sealed class IsaModule : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<IsaBlock> stages;
    private readonly Sequential? up_conv;
    private readonly Sequential conv_bn;

    public IReadOnlyList<(int H, int W)> DownFactors { get; }

    public IsaModule(int in_channels, int key_channels, int value_channels, int out_channels,
        IReadOnlyList<(int H, int W)>? down_factors = null, double dropout = 0) : base("ISA_Module")
    {
        DownFactors = down_factors?.ToArray() ?? new[] { (8, 8) };
        if (DownFactors.Count == 0)
            throw new SegmenterException("ISA_Module needs at least one down factor", "IsaModule", "pass e.g. [(8, 8)]");
        if (dropout < 0 || dropout >= 1)
            throw new SegmenterException($"ISA_Module dropout {dropout} must be in [0, 1)", "IsaModule", "use e.g. 0.05");
        stages = nn.ModuleList(DownFactors.Select(d => new IsaBlock(in_channels, key_channels, value_channels, out_channels, d)).ToArray());
        long concat = in_channels + out_channels;
        if (DownFactors.Count > 1)
        {
            long up = (long)DownFactors.Count * out_channels;
            up_conv = nn.Sequential(Conv2dLayer.Create(in_channels, up, 1, bias: false), SelfAttentionBlock2D.BnRelu(up));
            concat = 2 * up;
        }
        conv_bn = nn.Sequential(Conv2dLayer.Create(concat, out_channels, 1, bias: false), SelfAttentionBlock2D.BnRelu(out_channels), nn.Dropout2d(dropout));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var priors = stages.Select(s => s.forward(x)).ToArray();
        Tensor context = priors.Length == 1 ? priors[0] : torch.cat(priors, 1);
        if (up_conv is not null) x = up_conv.forward(x);
        return conv_bn.forward(torch.cat(new[] { x, context }, 1)).MoveToOuterDisposeScope();
    }
}
