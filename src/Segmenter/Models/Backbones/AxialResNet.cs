using Segmenter.Config;
using Segmenter.Models.Attention;
using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Backbones;

/// <summary>
/// Axial-ResNet (csrhddlam/axial-deeplab AxialAttentionNet layout, <see cref="AxialBlock"/>s per stage [3, 4, 6, 3] for
/// depth 50 or [1, 2, 4, 1] for depth 26 (the released axial26s ImageNet model), 8 heads):
/// the ResNet-50 bottleneck with its 3x3 conv replaced by height- then width-axis attention. Widths S/M/L = 0.5/0.75/1
/// of the L plan (attention widths 128/256/512/1024, outputs 256/512/1024/2048). Stem: Axial-DeepLab's inception stem
/// (`stem.*`: 3x3/2 64, 3x3 64, 3x3 128, each +BN+ReLU, times axial.stem_width_multiplier (deeplab2, 1.0), not
/// the width; no max-pool; layer1 then strides 2) or the ImageNet model's 7x7/2 `conv1`+`bn1`+max-pool (64s channels). Output stride 16 removes layer4's stride (no atrous attention), 32 keeps it.
/// Each stage's kernel_size (relative table length) is the largest axis its attention sees for inputs up to
/// <see cref="InputSize"/>; smaller inputs reuse the table (see <see cref="AxialAttention"/>). Every stride-2 block
/// needs an even input size (AvgPool and the strided 1x1 shortcut disagree on odd sizes), so inputs should be
/// multiples of the output stride.
/// </summary>
public sealed class AxialResNet : Backbone, IOnnxBackbone
{
    /// <summary>Blocks per stage by depth (backbone.depth): axial50s/m/l and axial26s.</summary>
    public static int[] BlocksOf(int depth) => depth switch
    {
        50 => [3, 4, 6, 3],
        26 => [1, 2, 4, 1],
        _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "Axial-ResNet depth (validated by ConfigValidator)"),
    };

    private readonly Sequential? stem;
    private readonly Conv2dLayer? conv1;
    private readonly BatchNorm? bn1;
    private readonly MaxPool2d? maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    private readonly int[] _outChannels;
    private readonly int[] _outStrides;

    /// <param name="inputSize">Largest input side (the crop size when the config leaves axial.input_size null).</param>
    public AxialResNet(BackboneConfig cfg, int inputSize) : base("AxialResNet")
    {
        var ax = cfg.Axial;
        Multiplier = ax.Width switch
        {
            "s" => 0.5, "m" => 0.75, "l" => 1.0,
            _ => throw new ArgumentOutOfRangeException(nameof(cfg), ax.Width, "Axial-ResNet width (validated by ConfigValidator)"),
        };
        // Values were validated once when the config loaded (ConfigValidator); what is left here are programmer errors.
        if (cfg.OutputStride is not (16 or 32)) throw new ArgumentOutOfRangeException(nameof(cfg), cfg.OutputStride, "output stride 16 or 32 (validated by ConfigValidator)");
        if (inputSize < 16) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "input size >= 16 (validated by ConfigValidator)");
        var blocks = BlocksOf(cfg.Depth);
        InputSize = inputSize;
        Span = ax.Span;
        Stem = ax.Stem;

        int s(double c) => (int)(c * Multiplier);
        int size;       // axis length entering layer1 for a square input of InputSize
        int inplanes;
        bool inception = ax.Stem == "inception";
        if (inception)
        {
            // deeplab2 InceptionSTEM (model/layers/stems.py): int(64·m), int(64·m), int(128·m) channels with m =
            // stem_width_multiplier, which AxialDeepLabS/L leave at 1.0: the width multiplier does not reach the stem.
            int stem64 = (int)(64 * ax.StemWidthMultiplier), stem128 = (int)(128 * ax.StemWidthMultiplier);
            stem = nn.Sequential(
                Conv2dLayer.Create(3, stem64, 3, stride: 2, padding: 1, bias: false), BatchNormLayer.TwoD(stem64), nn.ReLU(),
                Conv2dLayer.Create(stem64, stem64, 3, padding: 1, bias: false), BatchNormLayer.TwoD(stem64), nn.ReLU(),
                Conv2dLayer.Create(stem64, stem128, 3, padding: 1, bias: false), BatchNormLayer.TwoD(stem128), nn.ReLU());
            inplanes = stem128;
            size = (inputSize - 1) / 2 + 1;
        }
        else if (ax.Stem == "conv7")
        {
            conv1 = Conv2dLayer.Create(3, s(64), 7, stride: 2, padding: 3, bias: false);
            bn1 = BatchNormLayer.TwoD(s(64));
            maxpool = nn.MaxPool2d(3, 2, 1);
            inplanes = s(64);
            size = ((inputSize - 1) / 2) / 2 + 1;
        }
        else throw new ArgumentOutOfRangeException(nameof(cfg), ax.Stem, "Axial-ResNet stem (validated by ConfigValidator)");

        int[] strides = [inception ? 2 : 1, 2, 2, cfg.OutputStride == 16 ? 1 : 2];
        int[] planes = [s(128), s(256), s(512), s(1024)];
        var layers = new Sequential[4];
        _outChannels = new int[4];
        _outStrides = new int[4];
        KernelSizes = new int[4];
        int stride = inception ? 2 : 4;
        for (int i = 0; i < 4; i++)
        {
            KernelSizes[i] = size;
            (layers[i], inplanes, size) = MakeLayer(inplanes, planes[i], blocks[i], strides[i], size, Span);
            stride *= strides[i];
            _outChannels[i] = inplanes;
            _outStrides[i] = stride;
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3]);
        RegisterComponents();
        InitWeights(cfg.ZeroInitResidual);
    }

    public double Multiplier { get; }
    public int InputSize { get; }
    public int? Span { get; }
    public string Stem { get; }
    /// <summary>kernel_size of each stage's first block (the following blocks use the size after its stride).</summary>
    public int[] KernelSizes { get; }
    public override IReadOnlyList<int> OutChannels => _outChannels;
    public override IReadOnlyList<int> OutStrides => _outStrides;

    /// <summary>Official _make_layer: the first block strides (with a conv1x1+BN shortcut), later blocks see size/stride.</summary>
    private static (Sequential Layer, int OutPlanes, int OutSize) MakeLayer(int inplanes, int planes, int blocks, int stride, int size, int? span)
    {
        int outplanes = planes * AxialBlock.Expansion;
        var list = new List<nn.Module<Tensor, Tensor>>();
        var downsample = stride != 1 || inplanes != outplanes ? AxialBlock.MakeDownsample(inplanes, outplanes, stride) : null;
        list.Add(new AxialBlock(inplanes, planes, stride, downsample, groups: 8, kernel_size: size, span: span));
        if (stride != 1) size /= stride;
        for (int b = 1; b < blocks; b++) list.Add(new AxialBlock(outplanes, planes, 1, null, groups: 8, kernel_size: size, span: span));
        return (nn.Sequential(list.ToArray()), outplanes, size);
    }

    /// <summary>Official init: kaiming normal (fan_out, relu) for every conv except qkv_transform (kept at N(0, 1/in)), BN 1/0; zero_init_residual zeroes each block's bn2.</summary>
    private void InitWeights(bool zeroInitResidual)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, m) in named_modules())
        {
            if (m is Conv2dLayer conv) nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            else if (m is Conv1d c1 && !name.EndsWith("qkv_transform", StringComparison.Ordinal))
                nn.init.kaiming_normal_(c1.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            else if (m is BatchNorm bn) { nn.init.ones_(bn.weight); nn.init.zeros_(bn.bias); }
        }
        if (!zeroInitResidual) return;
        foreach (var (name, p) in named_parameters())
            if (name.EndsWith(".bn2.weight", StringComparison.Ordinal)) nn.init.zeros_(p);
    }

    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = stem is not null ? stem.forward(x) : maxpool!.forward(nn.functional.relu(bn1!.forward(conv1!.forward(x))));
        var c1 = layer1.forward(h);
        var c2 = layer2.forward(c1);
        var c3 = layer3.forward(c2);
        var c4 = layer4.forward(c3);
        return [c1.MoveToOuterDisposeScope(), c2.MoveToOuterDisposeScope(), c3.MoveToOuterDisposeScope(), c4.MoveToOuterDisposeScope()];
    }

    public string[] EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var h = stem is not null ? g.Emit(stem, x) : g.Emit(maxpool!, g.Relu(conv1!.EmitOnnx(g, x, bn1)));
        var c1 = g.Emit(layer1, h);
        var c2 = g.Emit(layer2, c1);
        var c3 = g.Emit(layer3, c2);
        return [c1, c2, c3, g.Emit(layer4, c3)];
    }
}
