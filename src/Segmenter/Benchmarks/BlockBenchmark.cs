using Segmenter.Training;
using System.Diagnostics;
using Segmenter.Models;
using Segmenter.Models.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>One block variant's forward+backward time and parameter count.</summary>
public sealed record BlockBenchResult(string Name, long Parameters, double StepSeconds);

/// <summary>
/// `segment bench --compare-block`: forward + backward of one Axial-ResNet block (conv_down, height and width axial
/// attention, conv_up) against the same bottleneck with a 3x3 conv in place of the attention pair (1x1 2w→w, 3x3 w→w,
/// 1x1 w→2w, BN after each), on a random [batch, 2w, size, size] input, training mode, stride 1.
/// </summary>
public static class BlockBenchmark
{
    public static IReadOnlyList<BlockBenchResult> Run(int width, int size, int batch, int iters, int warmup = 2)
    {
        if (width < 16 || width % 16 != 0) throw new SegmenterException($"block width {width}", "--block-width", "use a multiple of 16 (8 heads, even channels per head)");
        if (size < 2) throw new SegmenterException($"block size {size}", "--block-size", "use a feature size >= 2");
        using var axial = new AxialBlock(2 * width, width, groups: 8, kernel_size: size);
        using var conv = new ConvBottleneck(2 * width, width);
        using var x = randn(batch, 2 * width, size, size);
        return [Time("axial", axial, x, iters, warmup), Time("conv3x3", conv, x, iters, warmup)];
    }

    private static BlockBenchResult Time(string name, nn.Module<Tensor, Tensor> block, Tensor x, int iters, int warmup)
    {
        block.train();
        double sum = 0;
        for (int i = 0; i < warmup + iters; i++)
        {
            var watch = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var y = block.forward(x);
                y.sum().backward();
            }
            if (i >= warmup) sum += watch.Elapsed.TotalSeconds;
            foreach (var p in block.parameters()) p.grad?.zero_();
        }
        return new BlockBenchResult(name, block.parameters().Sum(p => p.numel()), sum / iters);
    }

    /// <summary>The reference bottleneck: 1x1 → 3x3 → 1x1 with BN (+ReLU) and the identity shortcut.</summary>
    private sealed class ConvBottleneck : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Sequential body;

        public ConvBottleneck(int inplanes, int width) : base(nameof(ConvBottleneck))
        {
            body = nn.Sequential(Conv2dLayer.Create(inplanes, width, 1, bias: false), BatchNormLayer.TwoD(width), nn.ReLU(),
                Conv2dLayer.Create(width, width, 3, padding: 1, bias: false), BatchNormLayer.TwoD(width), nn.ReLU(),
                Conv2dLayer.Create(width, inplanes, 1, bias: false), BatchNormLayer.TwoD(inplanes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return nn.functional.relu(body.forward(x) + x).MoveToOuterDisposeScope();
        }
    }
}
