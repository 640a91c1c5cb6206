using Segmenter.Config;
using Segmenter.Training;
using TorchSharp;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Training 2N iterations straight and training N, stopping, resuming from the checkpoint and training N more
/// must give bit-identical parameters and buffers on CPU (max abs diff 0); also with two in-process replicas, whose
/// dropout masks come from per-(seed, iteration, replica) generators (the smoke config's decode head has dropout 0.1).
/// </summary>
[Collection("cli")]
public sealed class ExactResumeTests
{
    private const int N = 4;

    private static ExperimentConfig Config(string workDir, int replicas) => ConfigLoader.Load(SynthData.SmokeConfig,
    [
        $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", $"schedule.max_iters={2 * N}", $"train.replicas={replicas}",
        "schedule.warmup_iters=2", "data.batch_size=4", "data.num_workers=2", "train.val_interval=0",
        "train.checkpoint_interval=0", "train.log_interval=1",
    ]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ResumedRunEqualsUninterruptedRun(int replicas)
    {
        var straightDir = TestPaths.NewTempDir("resume_straight");
        var splitDir = TestPaths.NewTempDir("resume_split");

        var straight = Config(straightDir, replicas);
        var yaml = ConfigWriter.ToYaml(straight);
        var full = Trainer.Run(straight, new TrainOptions { ConfigYaml = yaml });
        Assert.Equal(2 * N, full.Iteration);

        var split = Config(splitDir, replicas);
        var first = Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, StopAt = N });
        Assert.Equal(N, first.Iteration);
        torch.manual_seed(12345); // anything the first "process" left behind must not matter
        var second = Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, Resume = "auto" });
        Assert.Equal(2 * N, second.Iteration);

        using var ca = Checkpointer.Load(full.LastCheckpoint!);
        using var cb = Checkpointer.Load(second.LastCheckpoint!);
        var a = ca.Model;
        var b = cb.Model;
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
        {
            var diff = (a[key].to(torch.ScalarType.Float64) - b[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            Assert.True(diff == 0, $"{key}: max abs diff {diff} after resume");
        }
    }
}
