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

            SmokeAssertions.AssertLearned(workDir, result);
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
            var losses = SmokeAssertions.LoggedLosses(workDir);
            Assert.Equal(12, losses.Count);
            Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l} is not finite"));
            double lastThird = losses.TakeLast(4).Average();
            Assert.True(lastThird < losses[0], $"PSA_s loss did not fall: first {losses[0]:F3}, mean of the last four {lastThird:F3}");
            Assert.Equal(12, result.Iteration);
        }
        finally { Directory.Delete(workDir, true); }
    }
}
