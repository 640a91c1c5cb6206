using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Panoptic;

/// <summary>
/// bowenc0221 ASPP: `convs.0` 1x1, `convs.1..3` 3x3 dilated (each conv+BN+ReLU), `convs.4` image pooling
/// (`aspp_pooling` = [global avg pool, 1x1 conv, ReLU], no BN, broadcast back with align_corners=True), then
/// `project` = [1x1 conv 5C→C, BN, ReLU, Dropout 0.5 (model.panoptic.aspp_dropout)].
/// </summary>
public sealed class PanopticAspp : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> convs;
    private readonly Sequential project;

    public PanopticAspp(int inChannels, int outChannels, IReadOnlyList<int> atrousRates, double bnMomentum, double bnEps, double dropout = 0.5) : base("ASPP")
    {
        if (atrousRates.Count != 3)
            throw new ArgumentException($"ASPP needs 3 atrous rates, got {atrousRates.Count} (validated by ConfigValidator)", nameof(atrousRates));
        convs = new ModuleList<nn.Module<Tensor, Tensor>>();
        convs.Add(PanopticConvs.Conv1x1BnRelu(inChannels, outChannels, bnMomentum, bnEps));
        foreach (var r in atrousRates)
            convs.Add(nn.Sequential(Conv2dLayer.Create(inChannels, outChannels, 3, padding: r, dilation: r, bias: false),
                BatchNormLayer.TwoD(outChannels, eps: bnEps, momentum: bnMomentum), nn.ReLU()));
        convs.Add(new AsppPooling(inChannels, outChannels));
        project = nn.Sequential(Conv2dLayer.Create(5 * outChannels, outChannels, 1, bias: false),
            BatchNormLayer.TwoD(outChannels, eps: bnEps, momentum: bnMomentum), nn.ReLU(), SeededDropout.Elementwise(dropout));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var branches = convs.Select(c => c.forward(x)).ToArray();
        return project.forward(cat(branches, 1)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x) =>
        g.Emit(project, g.Concat(1, convs.Select(c => g.Emit(c, x)).ToArray()));

    /// <summary>ASPPPooling: `aspp_pooling` = [AdaptiveAvgPool2d(1), conv1x1 (no bias), ReLU], upsampled to the input size.</summary>
    private sealed class AsppPooling : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential aspp_pooling;

        public AsppPooling(int inChannels, int outChannels) : base("ASPPPooling")
        {
            aspp_pooling = nn.Sequential(nn.AdaptiveAvgPool2d(1), Conv2dLayer.Create(inChannels, outChannels, 1, bias: false), nn.ReLU());
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = aspp_pooling.forward(x);
            return nn.functional.interpolate(y, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: true).MoveToOuterDisposeScope();
        }

        public string EmitOnnx(OnnxGraphBuilder g, string x) => g.ResizeLike(g.Emit(aspp_pooling, x), x, alignCorners: true);
    }
}
