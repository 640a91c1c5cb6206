using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Training;
using Segmenter.Visualization;
using Segmenter.Checkpoints;

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
        // best_val_loss.ckpt holds the validation with the SMALLEST val_loss (rule auto: less for losses).
        var vals = File.ReadAllLines(Path.Combine(workDir, "metrics.jsonl")).Where(l => l.Contains("\"val\""))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(e => (Iter: e.GetProperty("iter").GetInt64(), Loss: e.GetProperty("val_loss").GetDouble())).ToList();
        Assert.Equal(2, vals.Count);
        using (var bestCkpt = Checkpointer.Load(Path.Combine(workDir, "best_val_loss.ckpt")))
            Assert.Equal(vals.MinBy(v => v.Loss).Iter, bestCkpt.Iteration);

        // segment eval --confusion --show-dir --worst 3 on the early-stop checkpoint.
        var show = Path.Combine(workDir, "show");
        var (code, _, err) = CliRunner.Run("eval", "--config", SynthData.SmokeConfig, "--checkpoint", result.LastCheckpoint!, "--confusion",
            "--show-dir", show, "--worst", "3", "--cfg-options", $"data.root={SynthData.VocRoot}", "data.num_workers=1");
        Assert.True(code == 0, err);
        var json = Path.Combine(workDir, "confusion.json");
        Assert.True(File.Exists(json));
        Assert.True(File.Exists(Path.Combine(workDir, "confusion.png")));
        var (_, matrix) = Segmenter.Evaluation.ConfusionMatrix.FromJson(File.ReadAllText(json), json);
        Assert.Equal(cfg.Model.NumClasses, matrix.NumClasses);
        var panels = Directory.GetFiles(show, "*.png").Order().ToList();
        Assert.Equal(3, panels.Count);
        Assert.StartsWith("0001_", Path.GetFileName(panels[0]));
        var csv = File.ReadAllLines(Path.Combine(show, "images.csv"));
        Assert.Equal("image,iou", csv[0]);
        var ious = csv.Skip(1).Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ious.Order(), ious); // worst first
        Assert.StartsWith("0001_" + csv[1].Split(',')[0], Path.GetFileName(panels[0]));
        var panel = PngCodec.Decode(panels[0]);
        var worstImage = ImageIO.ReadRgb(Path.Combine(SynthData.VocRoot, "JPEGImages", csv[1].Split(',')[0] + ".jpg"));
        Assert.Equal(worstImage.Width * 4 + 3 * 4, panel.Width); // image | truth | prediction | error map, 4 px gaps
        Assert.Equal(worstImage.Height, panel.Height);

        // segment report: report.html with every plot inline, and the PNGs.
        File.WriteAllText(Path.Combine(workDir, "config.yaml"), ConfigWriter.ToYaml(cfg));
        (code, var stdout, err) = CliRunner.Run("report", "--work-dir", workDir);
        Assert.True(code == 0, err);
        var reportDir = Path.Combine(workDir, RunReport.DirName);
        Assert.Equal(Path.Combine(reportDir, "report.html"), stdout.Trim());
        var html = File.ReadAllText(stdout.Trim());
        foreach (var png in new[] { "loss.png", "lr.png", "timing.png", "val_metrics.png", "val_loss.png", "class_iou.png", "confusion.png" })
        {
            var decoded = PngCodec.Decode(Path.Combine(reportDir, png));
            Assert.True(decoded.Width >= 600 && decoded.Height >= 400, $"{png}: {decoded.Width}x{decoded.Height}");
            Assert.Contains($"({png})", html);
        }
        Assert.Equal(7, html.Split("src=\"data:image/png;base64,").Length - 1);
        Assert.Contains("peak RSS", html);
        Assert.Contains("Best validation (by val_loss", html);

        // segment predict --overlay 0.5: (image + colour mask) / 2 per pixel, at the image's size.
        var jpg = Directory.GetFiles(Path.Combine(SynthData.VocRoot, "JPEGImages"), "*.jpg").Order().First();
        var predDir = Path.Combine(workDir, "pred");
        (code, _, err) = CliRunner.Run("predict", "--config", SynthData.SmokeConfig, "--checkpoint", result.LastCheckpoint!, "--input", jpg,
            "--out", predDir, "--overlay", "0.5", "--cfg-options", $"data.root={SynthData.VocRoot}");
        Assert.True(code == 0, err);
        var stem = Path.GetFileNameWithoutExtension(jpg);
        var photo = ImageIO.ReadRgb(jpg);
        var colour = ImageIO.PngToRgb(PngCodec.Decode(Path.Combine(predDir, stem + "_color.png")), "color");
        var overlay = ImageIO.PngToRgb(PngCodec.Decode(Path.Combine(predDir, stem + "_overlay.png")), "overlay");
        Assert.Equal((photo.Width, photo.Height), (overlay.Width, overlay.Height));
        for (int i = 0; i < overlay.Data.Length; i += 97)
            Assert.InRange(overlay.Data[i] - (photo.Data[i] + colour.Data[i]) / 2.0, -1, 1);
        (code, _, err) = CliRunner.Run("predict", "--config", SynthData.SmokeConfig, "--checkpoint", result.LastCheckpoint!, "--input", jpg,
            "--out", predDir, "--overlay", "1.5", "--cfg-options", $"data.root={SynthData.VocRoot}");
        Assert.Equal(2, code);
        Assert.Contains("--overlay", err);
    }
}
