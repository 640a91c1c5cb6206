using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using Segmenter.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>
/// The data-parallel step with 2 replicas on the CPU must follow the trajectory of one replica with the whole batch
/// (parameters and BN buffers within 1e-5 after several steps), with SyncBN or without BatchNorm, and keep the
/// replicas bit-identical.
/// </summary>
[Collection("cli")] // replicas run torch on several threads: keep them apart from other tests
public sealed class DataParallelEquivalenceTests
{
    private const int Steps = 4;

    [Theory]
    [InlineData(true, 2, 5)]   // SyncBN, uneven split 3 + 2
    [InlineData(false, 2, 4)]  // no BatchNorm in the model
    [InlineData(true, 3, 6)]   // three replicas
    public void ReplicasMatchOneReplicaWithTheWholeBatch(bool batchNorm, int replicas, int batchSize)
    {
        torch.manual_seed(7);
        using var single = new TinySegmentor(batchNorm);
        using var master = new TinySegmentor(batchNorm);
        master.load_state_dict(single.state_dict());
        single.train();
        master.train();
        using var optSingle = OptimizerFactory.Create(ParallelTestKit.Sgd, single);
        using var optParallel = OptimizerFactory.Create(ParallelTestKit.Sgd, master);
        using var dp = new DataParallelTrainer(master, () => new TinySegmentor(batchNorm), Enumerable.Repeat(CPU, replicas).ToList(), optParallel,
            new DataParallelOptions { SyncBatchNorm = batchNorm });

        for (int s = 0; s < Steps; s++)
        {
            var batch = ParallelTestKit.RandomBatch(batchSize, 8, 8, 3, seed: 100 + s);
            double expected = ParallelTestKit.PlainStep(single, optSingle, batch);
            var result = dp.Step(batch);
            Assert.False(result.Skipped);
            Assert.True(Math.Abs(result.Losses["loss"] - expected) < 1e-5, $"step {s}: loss {result.Losses["loss"]} vs {expected}");
        }

        double diff = ParallelTestKit.MaxDiff(single, master, out var worst);
        Assert.True(diff <= 1e-5, $"max abs diff {diff} at {worst}");
        foreach (var replica in dp.Replicas.Skip(1))
        {
            double same = ParallelTestKit.MaxDiff(master, replica, out var at);
            Assert.True(same == 0, $"replica differs from replica 0 by {same} at {at}");
        }
    }

    [Fact]
    public void PerReplicaBatchNormKeepsReplicasIdentical()
    {
        torch.manual_seed(3);
        using var master = new TinySegmentor(batchNorm: true);
        master.train();
        using var opt = OptimizerFactory.Create(ParallelTestKit.Sgd, master);
        using var dp = new DataParallelTrainer(master, () => new TinySegmentor(true), [CPU, CPU], opt,
            new DataParallelOptions());
        for (int s = 0; s < 3; s++) Assert.True(double.IsFinite(dp.Step(ParallelTestKit.RandomBatch(4, 8, 8, 3, s)).Losses["loss"]));
        Assert.Equal(0.0, ParallelTestKit.MaxDiff(master, dp.Replicas[1], out _));
    }

    /// <summary>The real DeepLabV3+ (ResNet-18, aux head) with SyncBN: every BatchNorm is reached by the hooks and the trajectory matches.</summary>
    [Fact]
    public void DeepLabWithSyncBnMatchesSingleReplica()
    {
        var cfg = new ModelConfig
        {
            NumClasses = 3,
            Backbone = new BackboneConfig { Depth = 18, OutputStride = 16 },
            DecodeHead = new DecodeHeadConfig { Type = "deeplabv3plus", Channels = 8, C1Channels = 4, Dilations = [1, 2], Dropout = 0 },
            AuxHead = new AuxHeadConfig { Channels = 8, Dropout = 0 },
        };
        torch.manual_seed(11);
        using var single = ModelFactory.Create(cfg);
        using var master = ModelFactory.Create(cfg);
        master.load_state_dict(single.state_dict());
        single.train();
        master.train();
        var optCfg = ParallelTestKit.Sgd with { Lr = 0.01 };
        using var optSingle = OptimizerFactory.Create(optCfg, single);
        using var optParallel = OptimizerFactory.Create(optCfg, master);
        using var dp = new DataParallelTrainer(master, () => ModelFactory.Create(cfg), [CPU, CPU], optParallel,
            new DataParallelOptions { SyncBatchNorm = true });
        for (int s = 0; s < 2; s++)
        {
            var batch = ParallelTestKit.RandomBatch(4, 32, 32, 3, seed: 40 + s);
            double expected = ParallelTestKit.PlainStep(single, optSingle, batch);
            double got = dp.Step(batch).Losses["loss"];
            Assert.True(Math.Abs(got - expected) < 1e-5, $"step {s}: loss {got} vs {expected}");
        }
        double diff = ParallelTestKit.MaxDiff(single, master, out var worst);
        Assert.True(diff <= 1e-5, $"max abs diff {diff} at {worst}");
        Assert.Equal(0.0, ParallelTestKit.MaxDiff(master, dp.Replicas[1], out _));
    }
}
