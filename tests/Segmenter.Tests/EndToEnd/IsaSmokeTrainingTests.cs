using System.Diagnostics;
using System.Text.Json;
using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Training;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// CI smoke training of the ISA head: ResNet-18 + ISA (small widths, 4x4 blocks for the 8x8 feature map of 64x64 crops) on the
/// generated Cityscapes set (real labelIds, mapped to 19 trainIds on load). The loss must fall by at least half and
/// train-set mIoU must pass a level random weights cannot reach.
/// </summary>
[Collection("cli")]
public sealed class IsaSmokeTrainingTests
{
    private static readonly Lazy<string> Root = new(() =>
        CityscapesSynth.Generate(TestPaths.NewTempDir("synth_cityscapes"), count: 24, height: 64, seed: 0).Root);

    public static string CityscapesRoot => Root.Value;

    [Fact]
    public void IsaLearnsSynthCityscapes()
    {
        var workDir = TestPaths.NewTempDir("smoke_isa");
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_cityscapes_isa.yaml"),
        [
            $"data.root={CityscapesRoot}", $"train.work_dir={workDir}", "schedule.max_iters=150", "train.val_interval=0",
            // evaluate on the training split: the point is that the network fits what it sees
            "data.val.parts.0.split=train",
        ]);
        var watch = Stopwatch.StartNew();
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });

        var losses = File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _))
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();
        Assert.True(losses.Count >= 3, "expected several logged losses");
        Assert.True(losses[^1] <= 0.5 * losses[0], $"loss fell from {losses[0]:F3} to {losses[^1]:F3}, not by half");
        Assert.NotNull(result.LastEval);
        double miou = result.LastEval!.MIoU;
        // Random weights predict (nearly) one class everywhere: mIoU about (largest class share) / (classes present) < 0.15.
        Assert.True(miou > 0.3, $"train-set mIoU {miou:F3} is not above the random-weights level (took {watch.Elapsed.TotalSeconds:F0} s)");
    }
}
