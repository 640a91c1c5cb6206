using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Training;
using TorchSharp;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Panoptic training resumes exactly: 2N iterations straight equal N, stop, resume, N more (parameters and buffers,
/// max abs diff 0 on CPU); a cancelled run checkpoints the step it finished and stops.
/// </summary>
[Collection("cli")]
public sealed class PanopticResumeTests
{
    private const int N = 2;

    private static ExperimentConfig Config(string root, string workDir) => ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"),
    [
        $"data.root={root}", $"train.work_dir={workDir}", $"schedule.max_iters={2 * N}", "data.batch_size=2", "data.num_workers=2",
        "train.threads=2", "train.val_interval=0", "train.checkpoint_interval=0", "train.log_interval=1",
        "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 64]",
    ]);

    private static string Synth() => PanopticSynth.Generate(TestPaths.NewTempDir("panresume_data"), "cityscapes-panoptic", count: 6, size: 64, seed: 2).Root;

    [Fact]
    public void ResumedRunEqualsUninterruptedRun()
    {
        var root = Synth();
        var straight = Config(root, TestPaths.NewTempDir("panresume_straight"));
        var yaml = ConfigWriter.ToYaml(straight);
        var full = Trainer.Run(straight, new TrainOptions { ConfigYaml = yaml });
        Assert.Equal(2 * N, full.Iteration);

        var split = Config(root, TestPaths.NewTempDir("panresume_split"));
        var first = Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, StopAt = N });
        Assert.Equal(N, first.Iteration);
        Assert.Null(first.LastPanoptic);
        torch.manual_seed(12345); // anything the first "process" left behind must not matter
        var second = Trainer.Run(split, new TrainOptions { ConfigYaml = yaml, Resume = "auto" });
        Assert.Equal(2 * N, second.Iteration);
        Assert.NotNull(second.LastPanoptic);
        Assert.Equal(full.LastPanoptic!.Panoptic.All.Pq, second.LastPanoptic!.Panoptic.All.Pq);

        using var ca = Checkpointer.Load(full.LastCheckpoint!);
        using var cb = Checkpointer.Load(second.LastCheckpoint!);
        Assert.Equal(ca.Model.Keys.Order(), cb.Model.Keys.Order());
        foreach (var key in ca.Model.Keys)
        {
            var diff = (ca.Model[key].to(torch.ScalarType.Float64) - cb.Model[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            Assert.True(diff == 0, $"{key}: max abs diff {diff} after resume");
        }
        foreach (var key in ca.Optimizer.Keys)
        {
            var diff = (ca.Optimizer[key].to(torch.ScalarType.Float64) - cb.Optimizer[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
            Assert.True(diff == 0, $"optimizer {key}: max abs diff {diff} after resume");
        }
    }

    [Fact]
    public void CancelledRunCheckpointsAndStops()
    {
        var work = TestPaths.NewTempDir("panresume_cancel");
        var cfg = Config(Synth(), work);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg), Cancel = cts.Token });
        Assert.Equal(1, result.Iteration);
        Assert.Equal(Checkpointer.IterPath(work, 1), result.LastCheckpoint);
        using var ckpt = Checkpointer.Load(result.LastCheckpoint!);
        Assert.Equal(1, ckpt.Iteration);
        Assert.NotEmpty(ckpt.Optimizer);
    }
}
