using Segmenter.Config;
using Segmenter.Training;
using Segmenter.Visualization;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// The smoke run with validation every 2 iterations: TensorBoard events (train losses, lr, timing, RSS, validation
/// metrics and loss, per-class IoU, images, config), best_val_loss.ckpt chosen by a loss (smaller is better), and
/// early stopping that ends the run with a checkpoint.
/// </summary>
[Collection("cli")]
public sealed class TrainVisualizationTests
{
    [Fact]
    public void EventsBestByValLossAndEarlyStop()
    {
        var workDir = TestPaths.NewTempDir("train_vis");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig,
        [
            $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", "schedule.max_iters=8", "schedule.warmup_iters=0",
            "data.batch_size=2", "data.num_workers=1", "train.val_interval=2", "train.checkpoint_interval=0", "train.log_interval=1",
            "train.save_best=val_loss",
            // min_delta 1.0 (a whole mIoU) cannot be beaten: the 2nd validation is stale, patience 1 stops at iteration 4.
            "train.early_stop.metric=mIoU", "train.early_stop.patience=1", "train.early_stop.min_delta=1.0",
        ]);
        var result = Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });

        Assert.Equal(4, result.Iteration);
        Assert.EndsWith("iter_00000004.ckpt", result.LastCheckpoint);
        Assert.True(File.Exists(Path.Combine(workDir, "best_val_loss.ckpt")));

        var values = TensorBoardReader.ReadDir(Path.Combine(workDir, TrainBoard.DirName));
        long[] StepsOf(string tag) => values.Where(v => v.Tag == tag).Select(v => v.Step).ToArray();
        Assert.Equal([1L, 2, 3, 4], StepsOf("train/loss"));
        foreach (var tag in new[] { "train/lr", "train/data_time", "train/it_per_s", "train/rss_mb", "train/time" })
            Assert.Equal(4, StepsOf(tag).Length);
        Assert.Equal([2L, 4], StepsOf("val/mIoU"));
        Assert.Equal([2L, 4], StepsOf("val/loss"));
        Assert.All(values.Where(v => v.Tag == "val/loss"), v => Assert.True(v.Scalar > 0 && double.IsFinite(v.Scalar)));
        Assert.All(values.Where(v => v.Tag == "val/mIoU"), v => Assert.InRange(v.Scalar, 0, 100));
        Assert.Contains(values, v => v.Tag == "val_IoU/background");
        var images = values.Where(v => v.Kind == "image").ToList();
        Assert.Equal(8, images.Count); // 4 panels per validation
        Assert.All(images, v => Assert.True(v.Width > 2 * v.Height)); // image | truth | prediction
        Assert.Contains(values, v => v.Kind == "text" && v.Text!.Contains("save_best: val_loss"));

        // The jsonl carries val_loss and the per-class IoU for `segment report`.
        var lastVal = File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl")).Last(l => l.Contains("\"val\""));
        Assert.Contains("\"val_loss\"", lastVal);
        Assert.Contains("\"IoU\":[", lastVal);
    }
}
