using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Panoptic;

/// <summary>
/// Prediction heads on one decoder (bowenc0221 SinglePanopticDeepLabHead): `classifier.{key}` = [5x5 depthwise-separable
/// conv (decoder width → head width), conv1x1 with bias to the key's outputs], e.g. semantic → num_classes, center → 1,
/// offset → 2. bowenc0221 sets the semantic head width to the decoder width and the instance one by HEAD_CHANNELS.
/// </summary>
public sealed class SinglePanopticDeepLabHead : nn.Module<Tensor, Dictionary<string, Tensor>>
{
    private readonly NamedModules<Sequential> classifier;
    private readonly string[] _keys;

    public SinglePanopticDeepLabHead(int decoderChannels, int headChannels, IReadOnlyList<(string Key, int Outputs)> outputs, double bnMomentum, double bnEps)
        : base(nameof(SinglePanopticDeepLabHead))
    {
        classifier = new NamedModules<Sequential>(outputs.Select(o => (o.Key, nn.Sequential(
            PanopticConvs.Fuse5x5(decoderChannels, headChannels, bnMomentum, bnEps), Conv2dLayer.Create(headChannels, o.Outputs, 1)))));
        _keys = outputs.Select(o => o.Key).ToArray();
        RegisterComponents();
    }

    public override Dictionary<string, Tensor> forward(Tensor x)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var key in _keys) result[key] = classifier.Get(key).forward(x);
        return result;
    }

    public Dictionary<string, string> EmitOnnx(OnnxGraphBuilder g, string x) =>
        _keys.ToDictionary(key => key, key => g.Emit(classifier.Get(key), x));
}
