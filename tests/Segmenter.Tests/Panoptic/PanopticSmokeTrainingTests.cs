using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Training;
using Xunit.Abstractions;

namespace Segmenter.Tests.Panoptic;

/// <summary>The smoke config trains on a synthetic Cityscapes-layout panoptic set and beats the untrained model's PQ on it.</summary>
[Collection("cli")]
public class PanopticSmokeTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void SmokeTrainingLearnsPanopticSegmentation()
    {
        var dir = TestPaths.NewTempDir("pansmoke");
        var synth = PanopticSynth.Generate(dir, "cityscapes-panoptic", count: 8, size: 64, seed: 1);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"),
        [
            $"data.root={synth.Root}", $"train.work_dir={Path.Combine(dir, "work")}", "data.val.parts.0.split=train",
            "data.num_workers=1", "train.threads=2", "schedule.max_iters=60", "optimizer.lr=0.005",
            "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 64]",
        ]);

        TorchSharp.torch.manual_seed(cfg.Train.Seed);
        PanopticEvalResult before;
        using (var untrained = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg)))
            before = PanopticInference.Evaluate(untrained, cfg, PanopticTrainer.CreateDataset(cfg, train: false), TorchSharp.torch.CPU);
        output.WriteLine($"untrained: PQ {before.Panoptic.All.Pq:F3} mIoU {before.Semantic.MIoU:F3}");
        var result = PanopticTrainer.Run(cfg);
        var eval = result.Eval!;
        output.WriteLine($"loss {result.FirstLoss:F3} -> {result.LastLoss:F3}; PQ {eval.Panoptic.All.Pq:F3} (things {eval.Panoptic.Things.Pq:F3}, stuff {eval.Panoptic.Stuff.Pq:F3}), mIoU {eval.Semantic.MIoU:F3}");
        output.WriteLine(eval.Panoptic.FormatTable());
        Assert.True(result.LastLoss < result.FirstLoss);
        Assert.True(File.Exists(result.WeightsPath));
        Assert.True(eval.Panoptic.All.Pq > before.Panoptic.All.Pq + 0.05, $"PQ {eval.Panoptic.All.Pq} vs untrained {before.Panoptic.All.Pq}");
    }
}
