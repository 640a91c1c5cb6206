using Segmenter.Training;
using Segmenter.Training.Amp;
using Segmenter.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>The dynamic loss scaler's rule (skip on inf/NaN and shrink, grow after an interval) and a mixed-precision step on the CPU.</summary>
[Collection("cli")] // replicas run torch on several threads: keep them apart from other tests
public sealed class LossScalerTests
{
    [Fact]
    public void FiniteGradientsAreUnscaled()
    {
        var scaler = new LossScaler(initScale: 8, growthInterval: 3);
        using var g1 = torch.tensor(new float[] { 8, -16 });
        using var g2 = torch.tensor(new float[] { 4 });
        Assert.True(scaler.UnscaleAndCheck([g1, g2]));
        Assert.Equal([1f, -2f], g1.data<float>().ToArray());
        Assert.Equal([0.5f], g2.data<float>().ToArray());
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.NaN)]
    public void NonFiniteGradientSkipsTheStepAndShrinksTheScale(float bad)
    {
        var scaler = new LossScaler(initScale: 1024, growthInterval: 2);
        using var good = torch.tensor(new float[] { 2, 4 });
        using var injected = torch.tensor(new float[] { 1, bad });
        bool finite = scaler.UnscaleAndCheck([good, injected]);
        Assert.False(finite);
        Assert.Equal([2f, 4f], good.data<float>().ToArray()); // left alone: the step is skipped
        scaler.Update(finite);
        Assert.Equal(512, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.Equal(0, scaler.GrowthTracker);
    }

    [Fact]
    public void ScaleGrowsAfterTheIntervalAndAnOverflowResetsTheCount()
    {
        var scaler = new LossScaler(initScale: 4, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3);
        scaler.Update(true);
        scaler.Update(true);
        Assert.Equal(4, scaler.Scale);
        scaler.Update(false);                  // overflow: halve, count restarts
        Assert.Equal(2, scaler.Scale);
        scaler.Update(true);
        scaler.Update(true);
        Assert.Equal(2, scaler.Scale);
        scaler.Update(true);                   // third finite step in a row: double
        Assert.Equal(4, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
    }

    /// <summary>A working copy whose scaled gradients overflow (huge initial scale): the step is skipped, the master untouched, the scale backs off.</summary>
    [Fact]
    public void OverflowingScaledLossSkipsTheMasterStep()
    {
        torch.manual_seed(5);
        using var master = new TinySegmentor(batchNorm: false);
        master.train();
        using var opt = OptimizerFactory.Create(ParallelTestKit.Sgd, master);
        var scaler = new LossScaler(initScale: 1e38, growthInterval: 1000);
        using var dp = new DataParallelTrainer(master, () => new TinySegmentor(false), [CPU], opt,
            new DataParallelOptions { WorkingType = ScalarType.Float16, Scaler = scaler });
        var before = ParallelTestKit.State(master);
        var result = dp.Step(ParallelTestKit.RandomBatch(2, 8, 8, 3, 1));
        Assert.True(result.Skipped);
        Assert.Equal(1e38 * 0.5, scaler.Scale);
        foreach (var (k, v) in master.state_dict())
            Assert.Equal(0.0, (v.to_type(ScalarType.Float64) - before[k]).abs().max().item<double>());
    }

    /// <summary>bf16 working copy, fp32 master: several steps lower the loss, the master stays fp32, the working copy is the master rounded to bf16.</summary>
    [Fact]
    public void Bf16WorkingCopyTrainsFp32Master()
    {
        torch.manual_seed(9);
        using var master = new TinySegmentor(batchNorm: true);
        master.train();
        using var opt = OptimizerFactory.Create(ParallelTestKit.Sgd with { Lr = 0.1 }, master);
        using var dp = new DataParallelTrainer(master, () => new TinySegmentor(true), [CPU, CPU], opt,
            new DataParallelOptions { WorkingType = ScalarType.BFloat16, SyncBatchNorm = true });
        var batch = ParallelTestKit.RandomBatch(4, 8, 8, 3, 2);
        double first = dp.Step(batch).Losses["loss"], last = first;
        for (int s = 0; s < 5; s++) last = dp.Step(batch).Losses["loss"];
        Assert.True(last < first, $"loss {first} -> {last}");
        Assert.All(master.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var working = dp.Replicas[0].parameters().ToList();
        var fp32 = master.parameters().ToList();
        for (int i = 0; i < fp32.Count; i++)
        {
            Assert.Equal(ScalarType.BFloat16, working[i].dtype);
            Assert.Equal(0.0, (working[i].to_type(ScalarType.Float64) - fp32[i].to_type(ScalarType.BFloat16).to_type(ScalarType.Float64)).abs().max().item<double>());
        }
    }
}
