using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>Official PSA <c>reset_parameters</c>: kaiming_normal (fan_in, relu) on the four query/value convs; conv_up keeps the default init.</summary>
internal static class PsaInit
{
    public static void KaimingFanIn(params Conv2dLayer[] convs)
    {
        using var noGrad = torch.no_grad();
        foreach (var conv in convs)
            nn.init.kaiming_normal_(conv.weight!, a: 0, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
    }
}
