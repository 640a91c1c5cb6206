using Segmenter.IO;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Each kind of bad input gives exit code 2 and ONE line on stderr that names the file or key and says how to
/// fix it (no stack trace without --verbose).
/// </summary>
[Collection("cli")]
public sealed class BadInputTests
{
    /// <summary>A small copy of the generated VOC set (4 train, 2 val images) that a test may damage.</summary>
    private static string CopyDataset(Action<string, List<string>>? damage = null)
    {
        var root = Path.Combine(TestPaths.NewTempDir("badvoc"), "VOC2012");
        var train = File.ReadAllLines(Path.Combine(SynthData.VocRoot, "ImageSets/Segmentation/train.txt")).Where(l => l.Length > 0).Take(4).ToList();
        var val = File.ReadAllLines(Path.Combine(SynthData.VocRoot, "ImageSets/Segmentation/val.txt")).Where(l => l.Length > 0).Take(2).ToList();
        foreach (var sub in new[] { "JPEGImages", "SegmentationClass", "ImageSets/Segmentation" }) Directory.CreateDirectory(Path.Combine(root, sub));
        foreach (var id in train.Concat(val))
        {
            File.Copy(Path.Combine(SynthData.VocRoot, "JPEGImages", id + ".jpg"), Path.Combine(root, "JPEGImages", id + ".jpg"));
            File.Copy(Path.Combine(SynthData.VocRoot, "SegmentationClass", id + ".png"), Path.Combine(root, "SegmentationClass", id + ".png"));
        }
        File.WriteAllLines(Path.Combine(root, "ImageSets/Segmentation/val.txt"), val);
        damage?.Invoke(root, train);
        File.WriteAllLines(Path.Combine(root, "ImageSets/Segmentation/train.txt"), train);
        return root;
    }

    private static (int Code, string Err) Train(string root, params string[] more)
    {
        var work = TestPaths.NewTempDir("badwork");
        var (code, _, err) = CliRunner.Run(["train", "--config", SynthData.SmokeConfig, "--work-dir", work, "--stop-at", "1",
            "--cfg-options", $"data.root={root}", "data.batch_size=4", "train.val_interval=0", .. more]);
        return (code, err);
    }

    private static void AssertOneLineError((int Code, string Err) result, params string[] mustContain)
    {
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(result.Code == 2, $"exit code {result.Code}, stderr: {result.Err}");
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{result.Err}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var s in mustContain) Assert.Contains(s, lines[0]);
    }

    private static string WriteConfig(string yaml)
    {
        var path = Path.Combine(TestPaths.NewTempDir("badcfg"), "bad.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void MissingDatasetRoot() => AssertOneLineError(Train("/nonexistent/VOC2012"), "/nonexistent/VOC2012", "fix:");

    [Fact]
    public void SplitFileNamesMissingImage() =>
        AssertOneLineError(Train(CopyDataset((_, train) => train.Add("2099_999999"))), "2099_999999", "train.txt");

    [Fact]
    public void CorruptJpeg()
    {
        string? bad = null;
        var root = CopyDataset((r, train) => { bad = Path.Combine(r, "JPEGImages", train[0] + ".jpg"); File.WriteAllBytes(bad, new byte[300]); });
        AssertOneLineError(Train(root), train0(bad!));
    }

    [Fact]
    public void TruncatedPng()
    {
        string? bad = null;
        var root = CopyDataset((r, train) =>
        {
            bad = Path.Combine(r, "SegmentationClass", train[1] + ".png");
            var bytes = File.ReadAllBytes(bad);
            File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        });
        AssertOneLineError(Train(root), train0(bad!), "truncated");
    }

    [Fact]
    public void ImageMaskSizeMismatch()
    {
        string? bad = null;
        var root = CopyDataset((r, train) =>
        {
            bad = Path.Combine(r, "SegmentationClass", train[0] + ".png");
            ImageIO.WriteLabelPng(bad, new LabelMap(7, 5, new byte[35]));
        });
        AssertOneLineError(Train(root), train0(bad!), "size");
    }

    [Fact]
    public void LabelValueNotAClass()
    {
        string? bad = null;
        var root = CopyDataset((r, train) =>
        {
            bad = Path.Combine(r, "SegmentationClass", train[2] + ".png");
            var label = ImageIO.ReadLabel(bad);
            label.Data[0] = 37;
            ImageIO.WriteLabelPng(bad, label);
        });
        AssertOneLineError(Train(root), train0(bad!), "37", "num_classes");
    }

    [Fact]
    public void RgbColourMask()
    {
        string? bad = null;
        var root = CopyDataset((r, train) =>
        {
            bad = Path.Combine(r, "SegmentationClass", train[3] + ".png");
            var label = ImageIO.ReadLabel(bad);
            ImageIO.WritePng(bad, new RgbImage(label.Width, label.Height, new byte[label.Width * label.Height * 3]));
        });
        AssertOneLineError(Train(root), train0(bad!), "colour");
    }

    [Fact]
    public void EmptyDataset() =>
        AssertOneLineError(Train(CopyDataset((_, train) => train.Clear())), "train.txt");

    [Fact]
    public void MalformedYaml()
    {
        var path = WriteConfig("model:\n  num_classes: [1, 2\n");
        AssertOneLineError(R("config", "show", "--config", path), "bad.yaml");
    }

    [Fact]
    public void UnknownKeySuggestsClosest()
    {
        var path = WriteConfig("model:\n  num_clases: 3\n");
        AssertOneLineError(R("config", "show", "--config", path), "bad.yaml", "num_clases", "num_classes");
    }

    [Fact]
    public void WrongType()
    {
        var path = WriteConfig("model:\n  num_classes: many\n");
        AssertOneLineError(R("config", "show", "--config", path), "num_classes", "many");
    }

    [Fact]
    public void BadCfgOptionsSyntax() =>
        AssertOneLineError(R("config", "show", "--config", SynthData.SmokeConfig, "--cfg-options", "optimizer.lr"), "optimizer.lr");

    [Fact]
    public void MissingConfigFile() =>
        AssertOneLineError(R("config", "show", "--config", "no_such_config.yaml"), "no_such_config.yaml");

    [Fact]
    public void MissingCheckpoint() =>
        AssertOneLineError(R("eval", "--config", SynthData.SmokeConfig, "--checkpoint", "/nonexistent/iter_1.ckpt",
            "--cfg-options", $"data.root={SynthData.VocRoot}"), "/nonexistent/iter_1.ckpt");

    [Fact]
    public void CheckpointOfAnotherModel()
    {
        var root = CopyDataset();
        var work = TestPaths.NewTempDir("otherarch");
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", work, "--stop-at", "1",
            "--cfg-options", $"data.root={root}", "data.batch_size=4", "train.val_interval=0");
        Assert.True(code == 0, err);
        var ckpt = Directory.GetFiles(work, "iter_*.ckpt").Single();
        AssertOneLineError(R("eval", "--config", SynthData.SmokeConfig, "--checkpoint", ckpt,
            "--cfg-options", $"data.root={root}", "model.num_classes=5", "data.class_names=[]"), "checkpoint", "num_classes 21", "fix:");
    }

    [Fact]
    public void WorkDirNotWritable()
    {
        var file = Path.Combine(TestPaths.NewTempDir("notdir"), "a_file");
        File.WriteAllText(file, "");
        var root = CopyDataset();
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", Path.Combine(file, "work"),
            "--cfg-options", $"data.root={root}");
        AssertOneLineError((code, err), "work");
    }

    private static (int Code, string Err) R(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        return (code, err);
    }

    private static string train0(string path) => Path.GetFileName(path);
}
