using Segmenter.Config;
using Segmenter.Export;
using Segmenter.Models.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Backbones;

/// <summary>
/// ResNet-18/34/50/101/152 with torchvision parameter names (so torchvision ImageNet weights load one-to-one;
/// no `fc`), an optional mmseg V1c deep stem (`stem.*`), dilation instead of stride for output stride 8/16 (layer3
/// dilation 2 and layer4 dilation 4 at OS8; layer4 dilation 2 at OS16) with MMSegmentation's contract_dilation and
/// multi_grid, and optional PSA (`deattn`) in every block. Returns layer1..layer4 outputs.
/// </summary>
public sealed class ResNet : Backbone, IOnnxBackbone
{
    private readonly Conv2dLayer? conv1;
    private readonly BatchNorm? bn1;
    private readonly Sequential? stem;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    private readonly int[] _outChannels;
    private readonly int[] _outStrides;

    public ResNet(BackboneConfig cfg, double bnMomentum = 0.1, double bnEps = 1e-5) : base("ResNet")
    {
        Depth = cfg.Depth;
        DeepStem = cfg.DeepStem;
        // The values were validated once when the config loaded (ConfigValidator); what is left here are programmer errors.
        var (bottleneck, blocks) = Plan(cfg.Depth);
        bool[] dilate = cfg.OutputStride switch
        {
            32 => [false, false, false],
            16 => [false, false, true],
            8 => [false, true, true],
            _ => throw new ArgumentOutOfRangeException(nameof(cfg), cfg.OutputStride, "output stride (validated by ConfigValidator)"),
        };
        if (cfg.MultiGrid is { } grid && grid.Count != blocks[3])
            throw new ArgumentException($"multi_grid has {grid.Count} entries for {blocks[3]} layer4 blocks (validated by ConfigValidator)", nameof(cfg));
        var attention = AttentionFactory(cfg.Attention);

        // mmseg ResNet._make_stem_layer(in_channels, stem_channels): the deep stem is stem_channels/2, stem_channels/2,
        // stem_channels (V1c: 32/32/64; Detectron2's DeepLabStem with STEM_OUT_CHANNELS 128: 64/64/128), the 7x7 conv1
        // stem_channels; either way followed by the 3x3/2 max-pool, and layer1 reads stem_channels (mmseg inplanes).
        int stemOut = cfg.StemChannels, stemMid = cfg.StemChannels / 2;
        if (stemOut < 2 || stemOut % 2 != 0) throw new ArgumentOutOfRangeException(nameof(cfg), stemOut, "stem_channels (validated by ConfigValidator)");
        if (cfg.DeepStem)
        {
            stem = nn.Sequential(
                Conv2dLayer.Create(3, stemMid, 3, stride: 2, padding: 1, bias: false), BatchNormLayer.TwoD(stemMid, eps: bnEps, momentum: bnMomentum), nn.ReLU(inplace: true),
                Conv2dLayer.Create(stemMid, stemMid, 3, padding: 1, bias: false), BatchNormLayer.TwoD(stemMid, eps: bnEps, momentum: bnMomentum), nn.ReLU(inplace: true),
                Conv2dLayer.Create(stemMid, stemOut, 3, padding: 1, bias: false), BatchNormLayer.TwoD(stemOut, eps: bnEps, momentum: bnMomentum), nn.ReLU(inplace: true));
        }
        else
        {
            conv1 = Conv2dLayer.Create(3, stemOut, 7, stride: 2, padding: 3, bias: false);
            bn1 = BatchNormLayer.TwoD(stemOut, eps: bnEps, momentum: bnMomentum);
        }
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);

        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        int inplanes = stemOut, dilation = 1;
        bool contract = cfg.ContractDilation;
        Sequential MakeLayer(int planes, int count, int stride, bool dilateStage, IReadOnlyList<int>? multiGrid)
        {
            if (dilateStage) { dilation *= stride; stride = 1; }
            nn.Module<Tensor, Tensor>? downsample = null;
            if (stride != 1 || inplanes != planes * expansion)
                downsample = nn.Sequential(
                    Conv2dLayer.Create(inplanes, planes * expansion, 1, stride: stride, bias: false),
                    BatchNormLayer.TwoD(planes * expansion, eps: bnEps, momentum: bnMomentum));
            var layers = new List<nn.Module<Tensor, Tensor>>();
            for (int i = 0; i < count; i++)
            {
                // MMSegmentation's ResLayer (mmseg/models/utils/res_layer.py): without multi_grid the first block gets
                // dilation // 2 when contract_dilation is set and the stage is dilated (what torchvision's
                // replace_stride_with_dilation builds), else the stage's dilation like every other block (the PSA
                // repository's get_resnet). multi_grid IS the dilation of each layer4 block, replacing the stage's
                // (first_dilation = multi_grid[0], then multi_grid[i]); the DeepLabV3 paper's OS16 unit rates
                // (1, 2, 4) are multi_grid [2, 4, 8] here, as in mmseg configs.
                int d = multiGrid is not null ? multiGrid[i] : i == 0 && contract && dilation > 1 ? dilation / 2 : dilation;
                layers.Add(bottleneck
                    ? new Bottleneck(inplanes, planes, i == 0 ? stride : 1, d, i == 0 ? downsample : null, attention, bnMomentum, bnEps)
                    : new BasicBlock(inplanes, planes, i == 0 ? stride : 1, d, i == 0 ? downsample : null, attention, bnMomentum, bnEps));
                inplanes = planes * expansion;
            }
            return nn.Sequential(layers);
        }
        layer1 = MakeLayer(64, blocks[0], 1, false, null);
        layer2 = MakeLayer(128, blocks[1], 2, dilate[0], null);
        layer3 = MakeLayer(256, blocks[2], 2, dilate[1], null);
        layer4 = MakeLayer(512, blocks[3], 2, dilate[2], cfg.MultiGrid);

        _outChannels = [64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion];
        _outStrides = [4, 8, Math.Min(16, cfg.OutputStride), cfg.OutputStride];
        RegisterComponents();
        InitWeights(cfg.ZeroInitResidual);
    }

    public int Depth { get; }
    public bool DeepStem { get; }
    public override IReadOnlyList<int> OutChannels => _outChannels;
    public override IReadOnlyList<int> OutStrides => _outStrides;

    /// <summary>The four residual stages, for per-stage summaries and freezing.</summary>
    public IReadOnlyList<Sequential> Stages => [layer1, layer2, layer3, layer4];

    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor y = stem is not null ? stem.forward(x) : bn1!.call(conv1!.forward(x)).relu_();
        y = maxpool.forward(y);
        var c1 = layer1.forward(y);
        var c2 = layer2.forward(c1);
        var c3 = layer3.forward(c2);
        var c4 = layer4.forward(c3);
        Tensor[] outs = [c1, c2, c3, c4];
        foreach (var t in outs) t.MoveToOuterDisposeScope();
        return outs;
    }

    public string[] EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var y = stem is not null ? g.Emit(stem, x) : g.Relu(conv1!.EmitOnnx(g, x, bn1));
        y = g.Emit(maxpool, y);
        var c1 = g.Emit(layer1, y);
        var c2 = g.Emit(layer2, c1);
        var c3 = g.Emit(layer3, c2);
        return [c1, c2, c3, g.Emit(layer4, c3)];
    }

    /// <summary>torchvision init: kaiming normal (fan_out, relu) for the network's own convs, BN 1/0, optional
    /// zero-init of each block's last BN. Attention modules keep their own init.</summary>
    private void InitWeights(bool zeroInitResidual)
    {
        using var noGrad = torch.no_grad();
        var convs = new List<Conv2dLayer>();
        var bns = new List<BatchNorm>();
        void Collect(nn.Module m)
        {
            if (m is Conv2dLayer c) convs.Add(c);
            else if (m is BatchNorm b) bns.Add(b);
        }
        if (stem is not null) foreach (var m in stem.children()) Collect(m);
        if (conv1 is not null) convs.Add(conv1);
        if (bn1 is not null) bns.Add(bn1);
        foreach (var stage in Stages)
            foreach (var block in stage.children())
                foreach (var (name, m) in block.named_children())
                    if (name != "deattn")
                    {
                        Collect(m);
                        if (m is Sequential ds) foreach (var dm in ds.children()) Collect(dm);
                    }
        foreach (var c in convs) nn.init.kaiming_normal_(c.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        foreach (var b in bns) { nn.init.ones_(b.weight); nn.init.zeros_(b.bias); }
        if (zeroInitResidual)
            foreach (var stage in Stages)
                foreach (var block in stage.children())
                    nn.init.zeros_(block switch
                    {
                        Bottleneck bb => bb.LastBn.weight,
                        BasicBlock basic => basic.LastBn.weight,
                        _ => throw new InvalidOperationException("unexpected block type"),
                    });
    }

    /// <summary>Bottleneck or basic blocks, and the number of blocks per stage, of a ResNet depth (18, 34, 50, 101, 152).</summary>
    public static (bool Bottleneck, int[] Blocks) Plan(int depth) => depth switch
    {
        18 => (false, [2, 2, 2, 2]),
        34 => (false, [3, 4, 6, 3]),
        50 => (true, [3, 4, 6, 3]),
        101 => (true, [3, 4, 23, 3]),
        152 => (true, [3, 8, 36, 3]),
        _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ResNet depth (validated by ConfigValidator)"),
    };

    private static BlockAttentionFactory? AttentionFactory(AttentionConfig cfg) => cfg.Type switch
    {
        "none" => null,
        "psa" => cfg.Layout switch
        {
            "parallel" => width => new PolarizedSelfAttentionParallel(width, width),
            "sequential" => width => new PolarizedSelfAttentionSequential(width, width),
            _ => throw new ArgumentOutOfRangeException(nameof(cfg), cfg.Layout, "PSA layout (validated by ConfigValidator)"),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(cfg), cfg.Type, "attention type (validated by ConfigValidator)"),
    };
}
