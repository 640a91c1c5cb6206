using Segmenter.Config;
using Segmenter.Training;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// CI smoke training: DeepLabV3+ on ResNet-18 learns the generated VOC set. The loss must fall by at least half
/// and train-set mIoU must pass a level that random weights cannot reach.
/// </summary>
[Collection("cli")]
public sealed class SmokeTrainingTests
{
    [Fact]
    public void DeepLabV3PlusLearnsSynthVoc()
    {
        var workDir = TestPaths.NewTempDir("smoke");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig,
        [
            $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "schedule.max_iters=120", "train.val_interval=0",
            // evaluate on the training split: the point is that the network fits what it sees
            "data.val.parts.0.split=ImageSets/Segmentation/train.txt",
        ]);
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });

        SmokeAssertions.AssertLearned(workDir, result);
    }
}
