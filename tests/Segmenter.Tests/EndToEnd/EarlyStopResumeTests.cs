using Segmenter.Config;
using Segmenter.Training;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// The early-stopping counter is part of the checkpoint: a run stopped and resumed ends at the same iteration as the
/// uninterrupted run (min_delta 1.0 cannot be beaten, so with patience 2 and validation every iteration both stop at 3).
/// </summary>
[Collection("cli")]
public sealed class EarlyStopResumeTests
{
    private static ExperimentConfig Config(string workDir) => ConfigLoader.Load(SynthData.SmokeConfig,
    [
        $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "schedule.max_iters=8", "schedule.warmup_iters=0",
        "data.batch_size=2", "data.num_workers=1", "train.val_interval=1", "train.checkpoint_interval=1", "train.log_interval=1",
        "train.tensorboard=false", "train.early_stop.metric=mIoU", "train.early_stop.patience=2", "train.early_stop.min_delta=1.0",
    ]);

    [Fact]
    public void ResumedRunStopsWhereTheUninterruptedOneDoes()
    {
        var straight = Config(TestPaths.NewTempDir("es_straight"));
        Assert.Equal(3, Trainer.Run(straight, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(straight) }).Iteration);

        var split = Config(TestPaths.NewTempDir("es_split"));
        var yaml = ConfigWriter.ToYaml(split);
        Assert.Equal(2, Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, StopAt = 2 }).Iteration);
        Assert.Equal(3, Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, Resume = "auto" }).Iteration);
    }
}
