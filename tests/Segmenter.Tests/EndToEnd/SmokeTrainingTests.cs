using System.Text.Json;
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

        var losses = File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _))
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();
        Assert.True(losses.Count >= 3, "expected several logged losses");
        Assert.True(losses[^1] <= 0.5 * losses[0], $"loss fell from {losses[0]:F3} to {losses[^1]:F3}, not by half");
        Assert.NotNull(result.LastEval);
        double miou = result.LastEval!.MIoU;
        // Random weights predict (nearly) one class everywhere: mIoU about background share / classes present (< 0.1).
        Assert.True(miou > 0.3, $"train-set mIoU {miou:F3} is not above the random-weights level");
    }
}
