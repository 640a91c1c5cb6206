using Segmenter.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training;

/// <summary>A tiny segmentor-shaped module: backbone (Conv2d + BatchNorm2d) and decode_head.conv_seg, with mmseg names.</summary>
internal sealed class TinyNet : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the state-dict names
    private readonly Sequential backbone;
    private readonly TinyHead decode_head;
#pragma warning restore IDE1006

    public TinyNet(int numClasses = 3, int width = 4) : base(nameof(TinyNet))
    {
        backbone = nn.Sequential(("conv1", Conv2dLayer.Create(3, width, 3, padding: 1, bias: false)), ("bn1", Segmenter.Models.BatchNormLayer.TwoD(width)), ("relu", nn.ReLU()));
        decode_head = new TinyHead(width, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => decode_head.forward(backbone.forward(x));

    private sealed class TinyHead : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006
        private readonly Conv2dLayer conv_seg;
#pragma warning restore IDE1006

        public TinyHead(int inChannels, int numClasses) : base(nameof(TinyHead))
        {
            conv_seg = Conv2dLayer.Create(inChannels, numClasses, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => conv_seg.forward(x);
    }
}
