using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Training;
using Xunit.Abstractions;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// The smoke config trains on a synthetic Cityscapes-layout panoptic set (96x48 images) and, on its held-out val images,
/// beats the untrained model's PQ clearly, things included (the instance branch and the semantic class of thing pixels).
/// </summary>
[Collection("cli")]
public class PanopticSmokeTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void SmokeTrainingLearnsPanopticSegmentation()
    {
        var dir = TestPaths.NewTempDir("pansmoke");
        var synth = PanopticSynth.Generate(dir, "cityscapes-panoptic", count: 16, size: 96, seed: 1);
        var work = Path.Combine(dir, "work");
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"),
        [
            $"data.root={synth.Root}", $"train.work_dir={work}", "data.num_workers=1", "train.threads=2",
            "schedule.max_iters=100", "train.val_interval=50",
        ]);

        TorchSharp.torch.manual_seed(cfg.Train.Seed);
        PanopticEvalResult before;
        using (var untrained = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg)))
            before = PanopticInference.Evaluate(untrained, cfg, Segmenter.Data.DatasetFactory.CreatePanoptic(cfg, train: false), TorchSharp.torch.CPU);
        output.WriteLine($"untrained: PQ {before.Panoptic.All.Pq:F3} (things {before.Panoptic.Things.Pq:F3}, stuff {before.Panoptic.Stuff.Pq:F3}) mIoU {before.Semantic.MIoU:F3}");
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });
        var eval = result.LastPanoptic!;
        output.WriteLine($"loss {result.FirstLoss:F3} -> {result.LastLoss:F3}; PQ {eval.Panoptic.All.Pq:F3} (things {eval.Panoptic.Things.Pq:F3}, stuff {eval.Panoptic.Stuff.Pq:F3}), mIoU {eval.Semantic.MIoU:F3}");
        output.WriteLine(eval.Panoptic.FormatTable());
        Assert.True(result.LastLoss < result.FirstLoss);
        Assert.Equal(Checkpointer.IterPath(work, 100), result.LastCheckpoint);
        Assert.True(File.Exists(Path.Combine(work, "best_PQ.ckpt")));
        Assert.True(eval.Panoptic.All.Pq > before.Panoptic.All.Pq + 0.3, $"PQ {eval.Panoptic.All.Pq} vs untrained {before.Panoptic.All.Pq}");
        Assert.True(eval.Panoptic.Things.Pq > Math.Max(0.1, before.Panoptic.Things.Pq), $"things PQ {eval.Panoptic.Things.Pq} vs untrained {before.Panoptic.Things.Pq}");
    }
}
