using System.Text.Json;
using Segmenter.Config;
using Segmenter.Training;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// CI smoke training with Polarized Self-Attention in every ResNet-18 block (configs/smoke_voc_psa.yaml): PSA_p
/// must learn the generated VOC set as the plain model does (loss halves, train mIoU above the random-weights
/// level); PSA_s gets a few iterations with finite, falling loss.
/// </summary>
[Collection("cli")]
public sealed class PsaSmokeTrainingTests
{
    private static string PsaSmokeConfig => Path.Combine(TestPaths.Configs, "smoke_voc_psa.yaml");

    private static List<double> Losses(string workDir) => File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(e => e.TryGetProperty("loss", out _))
        .Select(e => e.GetProperty("loss").GetDouble()).ToList();

    [Fact]
    public void ParallelPsaDeepLabLearnsSynthVoc()
    {
        var workDir = TestPaths.NewTempDir("smoke_psa");
        try
        {
            var cfg = ConfigLoader.Load(PsaSmokeConfig,
            [
                $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "schedule.max_iters=120", "train.val_interval=0",
                // evaluate on the training split: the point is that the network fits what it sees
                "data.val.parts.0.split=ImageSets/Segmentation/train.txt",
            ]);
            Assert.Equal(("psa", "parallel"), (cfg.Model.Backbone.Attention.Type, cfg.Model.Backbone.Attention.Layout));
            Assert.Equal(18, cfg.Model.Backbone.Depth);
            var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });

            var losses = Losses(workDir);
            Assert.True(losses.Count >= 3, "expected several logged losses");
            Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l} is not finite"));
            Assert.True(losses[^1] <= 0.5 * losses[0], $"loss fell from {losses[0]:F3} to {losses[^1]:F3}, not by half");
            Assert.NotNull(result.LastEval);
            double miou = result.LastEval!.MIoU;
            // Random weights predict (nearly) one class everywhere: mIoU about background share / classes present (< 0.1).
            Assert.True(miou > 0.3, $"train-set mIoU {miou:F3} is not above the random-weights level");
        }
        finally { Directory.Delete(workDir, true); }
    }

    [Fact]
    public void SequentialPsaTrainsAFewStepsWithFallingLoss()
    {
        var workDir = TestPaths.NewTempDir("smoke_psa_s");
        try
        {
            var cfg = ConfigLoader.Load(PsaSmokeConfig,
            [
                $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "model.backbone.attention.layout=sequential",
                "schedule.max_iters=12", "schedule.warmup_iters=0", "train.val_interval=0", "train.log_interval=1",
                "train.checkpoint_interval=0",
            ]);
            var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });
            var losses = Losses(workDir);
            Assert.Equal(12, losses.Count);
            Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l} is not finite"));
            double lastThird = losses.TakeLast(4).Average();
            Assert.True(lastThird < losses[0], $"PSA_s loss did not fall: first {losses[0]:F3}, mean of the last four {lastThird:F3}");
            Assert.Equal(12, result.Iteration);
        }
        finally { Directory.Delete(workDir, true); }
    }
}
