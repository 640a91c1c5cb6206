using Segmenter.Models;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Losses;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>A tiny segmentor (conv, optional BN, relu, 1x1 classifier) with our cross-entropy, for fast data-parallel tests.</summary>
internal sealed class TinySegmentor : Segmentor
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Conv2dLayer conv1;
    private readonly BatchNorm? bn1;
    private readonly Conv2dLayer conv2;
    private readonly BatchNorm? bn2;
    private readonly Conv2dLayer conv_seg;
#pragma warning restore IDE1006
    private readonly Segmenter.Losses.CrossEntropyLoss _loss = new(255);
    private readonly int _classes;

    public TinySegmentor(bool batchNorm, int classes = 3, int width = 6) : base(nameof(TinySegmentor))
    {
        _classes = classes;
        conv1 = Conv2dLayer.Create(3, width, 3, padding: 1, bias: !batchNorm);
        if (batchNorm) bn1 = Segmenter.Models.BatchNormLayer.TwoD(width);
        conv2 = Conv2dLayer.Create(width, width, 3, padding: 1, bias: !batchNorm);
        if (batchNorm) bn2 = Segmenter.Models.BatchNormLayer.TwoD(width);
        conv_seg = Conv2dLayer.Create(width, classes, 1);
        RegisterComponents();
    }

    public override int NumClasses => _classes;

    public override Tensor Logits(Tensor images)
    {
        var y = conv1.forward(images);
        if (bn1 is not null) y = bn1.call(y);
        y = nn.functional.relu(y);
        y = conv2.forward(y);
        if (bn2 is not null) y = bn2.call(y);
        return conv_seg.forward(nn.functional.relu(y));
    }

    public override Dictionary<string, Tensor> ComputeLosses(TrainingBatch batch) =>
        new() { ["decode.loss_ce"] = _loss.Compute(Logits(batch.Images), batch.Labels, batch.Reduction) };
}

internal static class ParallelTestKit
{
    public static readonly OptimizerConfig Sgd = new() { Type = "sgd", Lr = 0.05, Momentum = 0.9, WeightDecay = 1e-3 };

    /// <summary>A deterministic batch of n random images with labels in 0..classes-1 and about 10% ignore (255).</summary>
    public static Batch RandomBatch(int n, int h, int w, int classes, int seed)
    {
        var rng = new Random(seed);
        var images = new float[n * 3 * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
        var labels = new long[n * h * w];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextDouble() < 0.1 ? 255 : rng.Next(classes);
        return new Batch(seed, Enumerable.Range(0, n).Select(i => $"s{i}").ToArray(), images, labels, n, h, w);
    }

    /// <summary>The single-device reference step (what Trainer does).</summary>
    public static double PlainStep(Segmentor model, IOptimizer optimizer, Batch batch)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = batch.ToTensors(CPU);
        var losses = model.ComputeLosses(images, labels);
        var total = losses.Values.Aggregate((a, b) => a + b);
        optimizer.ZeroGrad();
        total.backward();
        optimizer.Step();
        return total.item<float>();
    }

    public static Dictionary<string, Tensor> State(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to_type(ScalarType.Float64).clone());

    /// <summary>Largest difference over the state dicts: absolute for parameters, relative to max(1, |value|) for buffers (running variances can be large).</summary>
    public static double MaxDiff(nn.Module a, nn.Module b, out string worst)
    {
        var sa = a.state_dict();
        var sb = b.state_dict();
        Assert.Equal(sa.Keys.Order(), sb.Keys.Order());
        var parameters = a.named_parameters().Select(p => p.name).ToHashSet();
        double max = 0;
        worst = "";
        foreach (var key in sa.Keys)
        {
            using var x = sa[key].to_type(ScalarType.Float64);
            using var y = sb[key].to_type(ScalarType.Float64);
            double d = (x - y).abs().max().item<double>();
            if (!parameters.Contains(key)) d /= Math.Max(1.0, x.abs().max().item<double>());
            if (d > max) { max = d; worst = key; }
        }
        return max;
    }
}
