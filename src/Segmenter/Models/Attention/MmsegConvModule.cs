using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// mmcv <c>ConvModule</c> with norm_cfg BN and act_cfg ReLU, as the mmseg ISA head builds it: <c>conv</c> (no bias,
/// because a norm follows), <c>bn</c>, <c>activate</c>. mmcv init: kaiming_normal (fan_out, relu) conv, BN 1/0.
/// </summary>
public sealed class MmsegConvModule : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly ReLU activate;

    public MmsegConvModule(int in_channels, int out_channels, int kernel_size, int padding = 0) : base("ConvModule")
    {
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding: padding, bias: false);
        bn = nn.BatchNorm2d(out_channels);
        activate = nn.ReLU();
        RegisterComponents();
        using var noGrad = torch.no_grad();
        nn.init.kaiming_normal_(conv.weight!, a: 0, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return activate.forward(bn.call(conv.forward(x))).MoveToOuterDisposeScope();
    }
}
