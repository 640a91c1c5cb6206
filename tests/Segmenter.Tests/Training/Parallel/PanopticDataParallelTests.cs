using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Segmenter.Models;
using Segmenter.Training;
using Segmenter.Training.Optim;
using Segmenter.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>
/// Panoptic-DeepLab gets the data-parallel step too: 2 (or 3) CPU replicas with SyncBN follow one replica with the
/// whole batch within 1e-5 over several SGD-momentum steps, on real loader batches whose targets the loader's workers
/// built, with the hard-pixel top-k of the semantic loss taken over the whole batch (global k-th largest) and the
/// centre/offset losses normalised by the whole batch's weights (dropout off: its masks cannot match a split batch).
/// </summary>
[Collection("cli")] // replicas run torch on several threads: keep them apart from other tests
public sealed class PanopticDataParallelTests
{
    private const int Steps = 3;
    // A small learning rate: the first step's gradients of the split and the whole batch agree to 6e-6 relative (float32
    // summation order), but with the centre loss weighted 200 larger steps soon make some BatchNorm channels nearly
    // constant, where x̂ is rounding noise times 1/sqrt(eps) and any two float32 BatchNorm implementations part
    // (measured: 5e-6 after 3 steps, 1e-2 after 4 at lr 0.002; 1e-6 after 3 at 0.0005; hard-pixel mining adds pixels that swap places at the threshold, 2e-5 at 0.0005).
    private static readonly OptimizerConfig Sgd = ParallelTestKit.Sgd with { Lr = 0.0002 };

    [Theory]
    [InlineData(2, 4, 0.2)] // the reference's hard-pixel mining (top 20 %)
    [InlineData(3, 4, 1.0)] // uneven split 2 + 1 + 1, plain mean
    public void ReplicasMatchOneReplicaWithTheWholeBatch(int replicas, int batchSize, double topK)
    {
        var root = PanopticSynth.Generate(TestPaths.NewTempDir("pan_dp_data"), "cityscapes-panoptic", count: 8, size: 64, seed: 5).Root;
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"),
        [
            $"data.root={root}", $"data.batch_size={batchSize}", "data.num_workers=0", $"model.panoptic.top_k_percent={topK}",
            "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 48]", "train.sync_bn=true",
        ]);
        var task = TaskInputs.Create(cfg);
        var loader = new BatchLoader(task.TrainSet, new TrainTransform(cfg.Data.TrainPipeline, cfg.Data), batchSize, seed: 3, numWorkers: 0)
            { Targets = task.Targets };

        torch.manual_seed(11);
        using var single = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        using var master = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        master.load_state_dict(single.state_dict());
        single.train();
        master.train();
        using var optSingle = OptimizerFactory.Create(Sgd, single);
        using var optParallel = OptimizerFactory.Create(Sgd, master);
        using var dp = new DataParallelTrainer(master, () => ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg)),
            Enumerable.Repeat(CPU, replicas).ToList(), optParallel, new DataParallelOptions { SyncBatchNorm = true });
        // The ASPP projection's Dropout(0.5) draws other masks for a split batch (each replica from its own generator)
        // than for the whole batch: switch it off to compare the arithmetic.
        foreach (var model in dp.Replicas.Append(single))
            foreach (var module in model.modules())
                if (module is Segmenter.Models.SeededDropout) module.eval();

        for (int s = 0; s < Steps; s++)
        {
            var batch = loader.GetBatch(s);
            Assert.NotNull(batch.Panoptic);
            var expected = TrainStep.Run(single, optSingle, null, () => single.ComputeLosses(batch.ToTraining(CPU)));
            var result = dp.Step(batch);
            foreach (var (term, value) in expected)
                Assert.True(Math.Abs(result.Losses[term] - value) <= 1e-5 * Math.Max(1, Math.Abs(value)), $"step {s} {term}: {result.Losses[term]} vs {value}");
        }

        double diff = ParallelTestKit.MaxDiff(single, master, out var worst);
        Assert.True(diff <= 1e-5, $"max abs diff {diff} at {worst}");
        foreach (var replica in dp.Replicas.Skip(1))
        {
            double same = ParallelTestKit.MaxDiff(master, replica, out var at);
            Assert.True(same == 0, $"replica differs from replica 0 by {same} at {at}");
        }
    }
}
