using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Panoptic;

/// <summary>
/// The conv blocks of bowenc0221/panoptic-deeplab (conv_module.py), built as plain Sequentials so the state-dict
/// indices match: basic_conv = [conv (no bias), BN, ReLU]; depthwise_separable_conv = [basic_conv (depthwise),
/// conv1x1 (no bias), BN, ReLU]; stacked_conv with num_stack 1 = [that block].
/// </summary>
public static class PanopticConvs
{
    public static Sequential BasicConv(long inPlanes, long outPlanes, long kernel, long padding, long groups, double bnMomentum, double bnEps) =>
        nn.Sequential(Conv2dLayer.Create(inPlanes, outPlanes, kernel, padding: padding, groups: groups, bias: false),
            BatchNormLayer.TwoD(outPlanes, eps: bnEps, momentum: bnMomentum), nn.ReLU());

    public static Sequential DepthwiseSeparableConv(long inPlanes, long outPlanes, long kernel, long padding, double bnMomentum, double bnEps) =>
        nn.Sequential(BasicConv(inPlanes, inPlanes, kernel, padding, inPlanes, bnMomentum, bnEps),
            Conv2dLayer.Create(inPlanes, outPlanes, 1, bias: false), BatchNormLayer.TwoD(outPlanes, eps: bnEps, momentum: bnMomentum), nn.ReLU());

    /// <summary>The decoder's fuse conv and the heads' first conv: stacked_conv(kernel 5, num_stack 1, padding 2, depthwise separable).</summary>
    public static Sequential Fuse5x5(long inPlanes, long outPlanes, double bnMomentum, double bnEps) =>
        nn.Sequential(DepthwiseSeparableConv(inPlanes, outPlanes, 5, 2, bnMomentum, bnEps));

    /// <summary>Conv1x1 (no bias) + BN + ReLU, the low-level projection and the 1x1 ASPP branch.</summary>
    public static Sequential Conv1x1BnRelu(long inPlanes, long outPlanes, double bnMomentum, double bnEps) =>
        nn.Sequential(Conv2dLayer.Create(inPlanes, outPlanes, 1, bias: false), BatchNormLayer.TwoD(outPlanes, eps: bnEps, momentum: bnMomentum), nn.ReLU());

    /// <summary>The reference decoder init: every conv N(0, 0.001) (biases 0), BN weight 1 / bias 0.</summary>
    public static void InitDecoder(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            if (m is Conv2dLayer conv)
            {
                nn.init.normal_(conv.weight, 0, 0.001);
                if (conv.bias is not null) nn.init.zeros_(conv.bias);
            }
            else if (m is BatchNorm bn)
            {
                nn.init.ones_(bn.weight);
                nn.init.zeros_(bn.bias);
            }
        }
    }
}
