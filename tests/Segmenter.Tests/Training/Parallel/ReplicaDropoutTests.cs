using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Training.Optim;
using Segmenter.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>
/// With several replicas on threads each replica draws its dropout masks from a generator of its own, seeded per
/// (train.seed, iteration, replica): the run does not depend on the global generator or on thread timing (so replica
/// runs repeat bit for bit and resume exactly), while the masks still change from one iteration to the next.
/// </summary>
[Collection("cli")] // replicas run torch on several threads: keep them apart from other tests
public sealed class ReplicaDropoutTests
{
    private static readonly ModelConfig Cfg = new()
    {
        NumClasses = 3,
        Backbone = new BackboneConfig { Depth = 18, OutputStride = 16 },
        DecodeHead = new DecodeHeadConfig { Type = "deeplabv3plus", Channels = 8, C1Channels = 4, Dilations = [1, 2], Dropout = 0.5 },
        AuxHead = new AuxHeadConfig { Channels = 8, Dropout = 0.5 },
    };

    [Fact]
    public void MasksDependOnlyOnSeedIterationAndReplica()
    {
        var first = Train(firstIteration: 10, drawFromTheGlobalGenerator: false);
        var again = Train(firstIteration: 10, drawFromTheGlobalGenerator: true);
        var later = Train(firstIteration: 20, drawFromTheGlobalGenerator: false);
        double same = MaxDiff(first, again, out var at);
        Assert.True(same == 0, $"the global generator changed the run: {same} at {at}");
        Assert.True(MaxDiff(first, later, out _) > 0, "other iterations must draw other masks");
    }

    [Fact]
    public void TheMasterGoesBackToTheGlobalGeneratorAfterTheTrainer()
    {
        torch.manual_seed(1);
        using var master = ModelFactory.Create(Cfg);
        using var opt = OptimizerFactory.Create(ParallelTestKit.Sgd with { Lr = 0.01 }, master);
        using (var dp = new DataParallelTrainer(master, () => ModelFactory.Create(Cfg), [CPU, CPU], opt, new DataParallelOptions { Seed = 5 }))
            Assert.All(master.modules().OfType<SeededDropout>(), d => Assert.NotNull(d.Generator));
        Assert.NotEmpty(master.modules().OfType<SeededDropout>());
        Assert.All(master.modules().OfType<SeededDropout>(), d => Assert.Null(d.Generator));
    }

    private static Dictionary<string, Tensor> Train(long firstIteration, bool drawFromTheGlobalGenerator)
    {
        torch.manual_seed(11);
        using var master = ModelFactory.Create(Cfg);
        master.train();
        using var opt = OptimizerFactory.Create(ParallelTestKit.Sgd with { Lr = 0.01 }, master);
        using var dp = new DataParallelTrainer(master, () => ModelFactory.Create(Cfg), [CPU, CPU], opt, new DataParallelOptions { Seed = 5 });
        for (int s = 0; s < 2; s++)
        {
            if (drawFromTheGlobalGenerator) torch.rand(1000).Dispose();
            var batch = ParallelTestKit.RandomBatch(4, 32, 32, 3, seed: 40 + s) with { Iteration = firstIteration + s };
            Assert.True(double.IsFinite(dp.Step(batch).Losses["loss"]));
        }
        return ParallelTestKit.State(master);
    }

    private static double MaxDiff(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b, out string worst)
    {
        double max = 0;
        worst = "";
        foreach (var (key, x) in a)
        {
            double d = (x - b[key]).abs().max().item<double>();
            if (d > max) (max, worst) = (d, key);
        }
        return max;
    }
}
