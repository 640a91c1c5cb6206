using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Panoptic;

/// <summary>
/// One branch decoder (bowenc0221 SinglePanopticDeepLabDecoder): `aspp` on the deepest feature, then top-down for
/// each low-level feature: `project.i` (1x1+BN+ReLU), bilinear upsample (align_corners=True), concat, `fuse.i`
/// (5x5 depthwise-separable). Without ASPP (Axial-DeepLab; deeplab2 aspp_use_only_1x1_proj_conv) `aspp` is a single
/// 1x1 conv+BN+ReLU (`aspp.0/.1`).
/// </summary>
public sealed class SinglePanopticDeepLabDecoder : nn.Module<Tensor[], Tensor>
{
    private readonly nn.Module<Tensor, Tensor> aspp;
    private readonly ModuleList<Sequential> project;
    private readonly ModuleList<Sequential> fuse;
    private readonly int _featureIndex;
    private readonly int[] _lowLevelIndex;

    /// <param name="lowLevelChannels">Channels of the low-level features, top-down (res3 then res2).</param>
    public SinglePanopticDeepLabDecoder(int inChannels, int featureIndex, IReadOnlyList<int> lowLevelChannels, IReadOnlyList<int> lowLevelIndex,
        IReadOnlyList<int> lowLevelChannelsProject, int decoderChannels, IReadOnlyList<int> atrousRates, int asppChannels, bool useAspp,
        double bnMomentum, double bnEps, double asppDropout = 0.5) : base(nameof(SinglePanopticDeepLabDecoder))
    {
        if (lowLevelChannels.Count != lowLevelIndex.Count || lowLevelChannels.Count != lowLevelChannelsProject.Count)
            throw new ArgumentException("low-level indices and projection widths differ in length (validated by ConfigValidator)", nameof(lowLevelChannelsProject));
        _featureIndex = featureIndex;
        _lowLevelIndex = lowLevelIndex.ToArray();
        aspp = useAspp ? new PanopticAspp(inChannels, asppChannels, atrousRates, bnMomentum, bnEps, asppDropout)
            : PanopticConvs.Conv1x1BnRelu(inChannels, asppChannels, bnMomentum, bnEps);
        project = new ModuleList<Sequential>();
        fuse = new ModuleList<Sequential>();
        for (int i = 0; i < lowLevelChannels.Count; i++)
        {
            project.Add(PanopticConvs.Conv1x1BnRelu(lowLevelChannels[i], lowLevelChannelsProject[i], bnMomentum, bnEps));
            int fuseIn = (i == 0 ? asppChannels : decoderChannels) + lowLevelChannelsProject[i];
            fuse.Add(PanopticConvs.Fuse5x5(fuseIn, decoderChannels, bnMomentum, bnEps));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor[] features)
    {
        using var scope = NewDisposeScope();
        var x = aspp.forward(features[_featureIndex]);
        for (int i = 0; i < _lowLevelIndex.Length; i++)
        {
            var l = project[i].forward(features[_lowLevelIndex[i]]);
            x = nn.functional.interpolate(x, [l.shape[2], l.shape[3]], mode: InterpolationMode.Bilinear, align_corners: true);
            x = fuse[i].forward(cat([x, l], 1));
        }
        return x.MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string[] features)
    {
        var x = g.Emit(aspp, features[_featureIndex]);
        for (int i = 0; i < _lowLevelIndex.Length; i++)
        {
            var l = g.Emit(project[i], features[_lowLevelIndex[i]]);
            x = g.Emit(fuse[i], g.Concat(1, g.ResizeLike(x, l, alignCorners: true), l));
        }
        return x;
    }
}
