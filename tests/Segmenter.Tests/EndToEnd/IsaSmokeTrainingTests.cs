using System.Diagnostics;
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

        SmokeAssertions.AssertLearned(workDir, result, $"took {watch.Elapsed.TotalSeconds:F0} s");
    }
}
