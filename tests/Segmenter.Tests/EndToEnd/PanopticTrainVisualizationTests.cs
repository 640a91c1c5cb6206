using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Training;
using Segmenter.Visualization;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// A panoptic run gets what a semantic run has, through the one loop: two bf16 data-parallel replicas, validation
/// loss (the training loss at the original resolution), TensorBoard validation metrics, loss and image | ground
/// truth | prediction panels, best_val_loss.ckpt; and `segment eval` refuses the semantic-only outputs in one line.
/// </summary>
[Collection("cli")]
public sealed class PanopticTrainVisualizationTests
{
    [Fact]
    public void ReplicasBf16ValidationLossAndPanels()
    {
        var root = PanopticSynth.Generate(TestPaths.NewTempDir("panvis_data"), "cityscapes-panoptic", count: 6, size: 64, seed: 4).Root;
        var workDir = TestPaths.NewTempDir("panvis");
        var config = Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml");
        string[] overrides = [$"data.root={root}", "data.num_workers=1"];
        var cfg = ConfigLoader.Load(config,
        [
            .. overrides, $"train.work_dir={workDir}", "schedule.max_iters=4", "data.batch_size=4", "optimizer.lr=0.002", "train.val_interval=2",
            "train.checkpoint_interval=0", "train.log_interval=1", "train.replicas=2", "train.amp=bf16", "train.save_best=val_loss",
            "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 64]",
        ]);
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });
        Assert.Equal(4, result.Iteration);
        Assert.True(double.IsFinite(result.LastLoss));
        Assert.NotNull(result.LastPanoptic);
        Assert.True(File.Exists(Path.Combine(workDir, "best_val_loss.ckpt")));

        var values = TensorBoardReader.ReadDir(Path.Combine(workDir, TrainBoard.DirName));
        long[] StepsOf(string tag) => values.Where(v => v.Tag == tag).Select(v => v.Step).ToArray();
        Assert.Equal([1L, 2, 3, 4], StepsOf("train/loss"));
        Assert.Equal(4, StepsOf("train/center.loss_mse").Length);
        Assert.Equal([2L, 4], StepsOf("val/PQ"));
        Assert.Equal([2L, 4], StepsOf("val/loss"));
        Assert.All(values.Where(v => v.Tag == "val/loss"), v => Assert.True(v.Scalar > 0 && double.IsFinite(v.Scalar)));
        var images = values.Where(v => v.Kind == "image").ToList();
        int valImages = Segmenter.Data.DatasetFactory.CreatePanoptic(cfg, train: false).Count;
        Assert.Equal(2 * Math.Min(4, valImages), images.Count); // up to 4 panels per validation
        Assert.All(images, v => Assert.True(v.Width > 2 * v.Height)); // image | truth | prediction

        var vals = File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl")).Where(l => l.Contains("\"val\""))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(e => (Iter: e.GetProperty("iter").GetInt64(), Loss: e.GetProperty("val_loss").GetDouble())).ToList();
        Assert.Equal(2, vals.Count);
        using (var best = Checkpointer.Load(Path.Combine(workDir, "best_val_loss.ckpt")))
            Assert.Equal(vals.MinBy(v => v.Loss).Iter, best.Iteration);

        var (code, _, err) = CliRunner.Run(["eval", "--config", config, "--checkpoint", result.LastCheckpoint!, "--confusion", "--cfg-options", .. overrides]);
        Assert.Equal(2, code);
        Assert.Contains("--confusion and --show-dir are for semantic models", err);
        Assert.DoesNotContain("   at ", err);
    }
}
