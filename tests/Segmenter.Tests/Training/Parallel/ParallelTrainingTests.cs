using Segmenter.Config;
using Segmenter.Tests.EndToEnd;
using Segmenter.Training;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.Training.Parallel;

/// <summary>The config switch: train.replicas (with SyncBN) runs the training loop through the data-parallel step; checkpoints stay fp32.</summary>
[Collection("cli")]
public sealed class ParallelTrainingTests
{
    [Theory]
    [InlineData("train.replicas=2", "train.sync_bn=true", "train.amp=none")]
    // train.amp=bf16 works here too but bf16 convolutions are slow on CPUs without bf16 units (~25 s); the
    // mixed-precision step itself is covered by LossScalerTests on a tiny model.
    public void TrainerRunsTheDataParallelStep(string replicas, string syncBn, string amp)
    {
        var workDir = TestPaths.NewTempDir("parallel_train");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig,
        [
            $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "schedule.max_iters=100", "data.batch_size=4",
            "data.num_workers=1", "train.val_interval=0", "train.checkpoint_interval=0", "train.log_interval=1",
            "data.train_pipeline.crop_size=[32,32]", replicas, syncBn, amp,
        ]);
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg), StopAt = 2 });
        Assert.Equal(2, result.Iteration);
        Assert.True(double.IsFinite(result.FirstLoss) && double.IsFinite(result.LastLoss));
        Assert.NotNull(result.LastCheckpoint);
        using var ckpt = Checkpointer.Load(result.LastCheckpoint!);
        Assert.All(ckpt.Model.Values, t => Assert.NotEqual(TorchSharp.torch.ScalarType.BFloat16, t.dtype));
    }
}
