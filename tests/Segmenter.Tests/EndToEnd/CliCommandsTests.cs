using System.Text.Json;
using Segmenter.IO;

namespace Segmenter.Tests.EndToEnd;

/// <summary>The verbs as a user runs them: synth, check, config show, train, eval, predict, help.</summary>
[Collection("cli")]
public sealed class CliCommandsTests
{
    [Fact]
    public void DataSynthWritesTheVocLayout()
    {
        var dir = TestPaths.NewTempDir("synthcli");
        var (code, _, err) = CliRunner.Run("data", "synth", "--format", "voc", "--out", dir, "--count", "8", "--size", "64", "--seed", "1");
        Assert.True(code == 0, err);
        var voc = Path.Combine(dir, "VOCdevkit", "VOC2012");
        foreach (var split in new[] { "train", "val", "trainval", "aug" })
            Assert.True(File.Exists(Path.Combine(voc, "ImageSets", "Segmentation", split + ".txt")), split);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(voc, "JPEGImages"), "*.jpg").Length);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(voc, "SegmentationClass"), "*.png").Length);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(voc, "SegmentationClassAug"), "*.png").Length);
    }

    [Fact]
    public void DataCheckSummarisesAGoodDatasetAndListsProblems()
    {
        var (code, stdout, err) = CliRunner.Run("data", "check", "--config", SynthData.SmokeConfig, "--cfg-options", $"data.root={SynthData.VocRoot}");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("background", stdout);
        Assert.Contains("person", stdout);

        var root = Path.Combine(TestPaths.NewTempDir("checkbad"), "VOC2012");
        CopyDirectory(SynthData.VocRoot, root);
        var id = File.ReadAllLines(Path.Combine(root, "ImageSets/Segmentation/val.txt"))[0];
        var labelPath = Path.Combine(root, "SegmentationClass", id + ".png");
        var label = ImageIO.ReadLabel(labelPath);
        label.Data[5] = 99;
        ImageIO.WriteLabelPng(labelPath, label);
        (code, stdout, _) = CliRunner.Run("data", "check", "--config", SynthData.SmokeConfig, "--split", "val", "--cfg-options", $"data.root={root}");
        Assert.Equal(3, code);
        Assert.Contains(id, stdout);
        Assert.Contains("99", stdout);
    }

    [Fact]
    public void ConfigShowPrintsEveryMergedKey()
    {
        var (code, stdout, err) = CliRunner.Run("config", "show", "--config", "smoke_voc.yaml", "--cfg-options", "optimizer.lr=0.123");
        Assert.True(code == 0, err);
        Assert.Contains("num_classes: 21", stdout);
        Assert.Contains("lr: 0.123", stdout);
        Assert.Contains("cat_max_ratio: 0.75", stdout);   // from the dataset base, not the smoke file
        Assert.Contains("keep_checkpoints:", stdout);      // a default no file sets
    }

    [Fact]
    public void HelpDescribesEveryVerb()
    {
        var (code, stdout, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        foreach (var verb in new[] { "train", "eval", "predict", "data", "config", "metrics", "export", "bench" })
            Assert.Contains(verb, stdout);
        (code, stdout, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--config", "--work-dir", "--resume", "--cfg-options", "--device", "--seed" })
            Assert.Contains(option, stdout);
    }

    [Fact]
    public void TrainEvalPredictFromTheCommandLine()
    {
        var work = TestPaths.NewTempDir("cliwork");
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", work,
            "--cfg-options", $"data.root={SynthData.VocRoot}", "schedule.max_iters=4", "train.val_interval=2", "train.checkpoint_interval=2",
            "train.keep_checkpoints=1", "train.log_interval=2");
        Assert.True(code == 0, err);
        Assert.Equal(["iter_00000004.ckpt"], Directory.GetFiles(work, "iter_*.ckpt").Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(work, "best_mIoU.ckpt")));
        Assert.True(File.Exists(Path.Combine(work, "train.log")));
        var records = File.ReadAllLines(Path.Combine(work, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(records, r => r.TryGetProperty("loss", out _) && r.TryGetProperty("lr", out _) && r.TryGetProperty("rss_mb", out _));
        Assert.Contains(records, r => r.TryGetProperty("mIoU", out _));

        var results = Path.Combine(work, "eval.json");
        (code, var stdout, err) = CliRunner.Run("eval", "--config", SynthData.SmokeConfig, "--checkpoint", Path.Combine(work, "iter_00000004.ckpt"),
            "--out", results, "--cfg-options", $"data.root={SynthData.VocRoot}");
        Assert.True(code == 0, err);
        Assert.Contains("mIoU", stdout);
        using (var doc = JsonDocument.Parse(File.ReadAllText(results)))
            Assert.True(doc.RootElement.GetProperty("summary").TryGetProperty("mIoU", out _));

        var images = Path.Combine(SynthData.VocRoot, "JPEGImages");
        var first = Directory.GetFiles(images, "*.jpg").Order().First();
        var outDir = Path.Combine(work, "pred");
        (code, _, err) = CliRunner.Run("predict", "--config", SynthData.SmokeConfig, "--checkpoint", Path.Combine(work, "best_mIoU.ckpt"),
            "--input", first, "--out", outDir);
        Assert.True(code == 0, err);
        var stem = Path.GetFileNameWithoutExtension(first);
        var input = ImageIO.ReadRgb(first);
        var index = ImageIO.ReadLabel(Path.Combine(outDir, stem + ".png"));
        var colour = ImageIO.ReadRgb(Path.Combine(outDir, stem + "_color.png"));
        Assert.Equal((input.Width, input.Height), (index.Width, index.Height));
        Assert.Equal((input.Width, input.Height), (colour.Width, colour.Height));
        Assert.All(index.Data, v => Assert.True(v < 21));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }
}
