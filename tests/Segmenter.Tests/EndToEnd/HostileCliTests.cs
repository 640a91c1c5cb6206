using Segmenter.IO;
using Segmenter.Tests.Hostile;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Issue 14 through the CLI: hostile inputs end with exit code 2 and one line naming the file (bombs in a training set,
/// weight files that would run code), and `predict` on a folder goes past unreadable files, lists them and exits 2
/// after writing every other prediction.
/// </summary>
[Collection("cli")]
public sealed class HostileCliTests
{
    private static void AssertOneLine(int code, string err, params string[] fragments)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 2, $"exit code {code}, stderr: {err}");
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{err}");
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }

    /// <summary>A 4-train / 1-val copy of the synthetic VOC set whose first training JPEG is replaced by <paramref name="bomb"/>.</summary>
    private static string DatasetWithBomb(byte[] bomb, out string bombPath)
    {
        var root = Path.Combine(TestPaths.NewTempDir("bombvoc"), "VOC2012");
        var ids = File.ReadAllLines(Path.Combine(SynthData.VocRoot, "ImageSets/Segmentation/train.txt")).Where(l => l.Length > 0).Take(5).ToList();
        foreach (var sub in new[] { "JPEGImages", "SegmentationClass", "ImageSets/Segmentation" }) Directory.CreateDirectory(Path.Combine(root, sub));
        foreach (var id in ids)
        {
            File.Copy(Path.Combine(SynthData.VocRoot, "JPEGImages", id + ".jpg"), Path.Combine(root, "JPEGImages", id + ".jpg"));
            File.Copy(Path.Combine(SynthData.VocRoot, "SegmentationClass", id + ".png"), Path.Combine(root, "SegmentationClass", id + ".png"));
        }
        File.WriteAllLines(Path.Combine(root, "ImageSets/Segmentation/train.txt"), ids.Take(4));
        File.WriteAllLines(Path.Combine(root, "ImageSets/Segmentation/val.txt"), ids.Skip(4));
        bombPath = Path.Combine(root, "JPEGImages", ids[0] + ".jpg");
        File.WriteAllBytes(bombPath, bomb);
        return root;
    }

    [Fact]
    public void Jpeg_claiming_65000_squared_in_a_training_set_is_exit_2_naming_the_file()
    {
        var root = DatasetWithBomb(CraftedFiles.JpegClaiming(65000, 65000), out var bomb);
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", TestPaths.NewTempDir("bombwork"), "--stop-at", "1",
            "--cfg-options", $"data.root={root}", "data.batch_size=4", "train.val_interval=0", "data.num_workers=0");
        AssertOneLine(code, err, bomb, "decompression bomb", "data.max_image_pixels");

        (code, var stdout, _) = CliRunner.Run("data", "check", "--config", SynthData.SmokeConfig, "--split", "train", "--cfg-options", $"data.root={root}");
        Assert.Equal(3, code); // data check lists problems and exits 3
        Assert.Contains("decompression bomb", stdout);
    }

    [Fact]
    public void Pretrained_pth_naming_os_system_is_exit_2_naming_the_global()
    {
        var pickle = CraftedWeights.StateDictPickle(p => { p.Str("x"); p.Global("os", "system"); p.Mark().Str("touch /tmp/pwned").Tuple().Reduce(); });
        var evil = Path.Combine(TestPaths.NewTempDir("evil"), "resnet.pth");
        File.WriteAllBytes(evil, CraftedWeights.TorchZip(pickle, new Dictionary<string, byte[]> { ["0"] = CraftedWeights.SixFloats() }));
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", TestPaths.NewTempDir("evilwork"), "--stop-at", "1",
            "--cfg-options", $"data.root={SynthData.VocRoot}", $"model.backbone.pretrained={evil}", "train.val_interval=0");
        AssertOneLine(code, err, evil, "'os.system'");
    }

    /// <summary>Runs the built CLI as a child process under /usr/bin/time; returns its exit code, stderr and peak RSS in MB (null where time is missing).</summary>
    private static (int Code, string Err, double? PeakMb) RunMeasured(params string[] args)
    {
        bool timed = File.Exists("/usr/bin/time");
        var psi = new System.Diagnostics.ProcessStartInfo(timed ? "/usr/bin/time" : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (timed) foreach (var a in new[] { "-f", "peak_rss_kb=%M", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet" }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "segment.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        var m = System.Text.RegularExpressions.Regex.Match(err, @"peak_rss_kb=(\d+)");
        return (p.ExitCode, err, m.Success ? double.Parse(m.Groups[1].Value) / 1024 : null);
    }

    [Fact]
    public void Bombs_stay_under_1_GB_of_process_memory()
    {
        var dir = TestPaths.NewTempDir("bombrss");
        var pred = Directory.CreateDirectory(Path.Combine(dir, "pred")).FullName;
        var gt = Directory.CreateDirectory(Path.Combine(dir, "gt")).FullName;
        File.WriteAllBytes(Path.Combine(pred, "a.png"), CraftedFiles.PngBomb(32000, 32000, 0));
        File.WriteAllBytes(Path.Combine(gt, "a.png"), CraftedFiles.PngBomb(18000, 18000, 2));
        var (code, err, peak) = RunMeasured("metrics", "semantic", "--pred", pred, "--gt", gt, "--num-classes", "3");
        Assert.True(code == 2 && err.Contains("decompression bomb"), $"exit {code}: {err}");
        Assert.True(peak is null or < 1024, $"peak RSS {peak} MB");

        var root = DatasetWithBomb(CraftedFiles.JpegClaiming(23000, 23000), out _);
        (code, err, peak) = RunMeasured("data", "check", "--config", SynthData.SmokeConfig, "--split", "train", "--cfg-options", $"data.root={root}");
        Assert.True(code == 3, $"exit {code}: {err}");
        Assert.True(peak is null or < 1024, $"peak RSS {peak} MB");

        var zipBomb = Path.Combine(dir, "bomb.pth");
        File.WriteAllBytes(zipBomb, CraftedFiles_ZipBomb());
        (code, err, peak) = RunMeasured("export", "--checkpoint", zipBomb, "--out", Path.Combine(dir, "x.safetensors"));
        Assert.True(code == 2 && err.Contains("claims"), $"exit {code}: {err}");
        Assert.True(peak is null or < 1024, $"peak RSS {peak} MB");
    }

    /// <summary>A torch.save zip whose storage member inflates to 512 MB of zeros behind a [2, 3] tensor.</summary>
    private static byte[] CraftedFiles_ZipBomb() =>
        CraftedWeights.TorchZip(CraftedWeights.StateDictPickle(), new Dictionary<string, byte[]> { ["0"] = new byte[512 << 20] }, deflate: true);

    [Fact]
    public void Text_and_legacy_files_given_as_checkpoints_are_exit_2_saying_what_they_are()
    {
        var dir = TestPaths.NewTempDir("notckpt");
        var text = Path.Combine(dir, "notes.ckpt");
        File.WriteAllText(text, "not a checkpoint\n");
        var (code, _, err) = CliRunner.Run("export", "--checkpoint", text, "--out", Path.Combine(dir, "x.safetensors"));
        AssertOneLine(code, err, text, "it is a text file", "accepted");

        var legacy = Path.Combine(dir, "old.pth");
        File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        var photo = Directory.GetFiles(Path.Combine(SynthData.VocRoot, "JPEGImages"), "*.jpg").Order().First();
        (code, _, err) = CliRunner.Run("predict", "--config", SynthData.SmokeConfig, "--checkpoint", legacy, "--input", photo, "--out", Path.Combine(dir, "o"));
        AssertOneLine(code, err, legacy, "legacy", "torch >= 1.6");
    }

    [Fact]
    public void Predict_on_a_folder_goes_past_unreadable_files_lists_them_and_exits_2()
    {
        var work = TestPaths.NewTempDir("predwork");
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--work-dir", work, "--stop-at", "1",
            "--cfg-options", $"data.root={SynthData.VocRoot}", "data.batch_size=2", "train.val_interval=0", "data.train_pipeline.crop_size=[32,32]");
        Assert.True(code == 0, err);
        var ckpt = Directory.GetFiles(work, "iter_*.ckpt").Single();

        var inputs = TestPaths.NewTempDir("predin");
        var photo = ImageIO.ReadRgb(Directory.GetFiles(Path.Combine(SynthData.VocRoot, "JPEGImages"), "*.jpg").Order().First());
        File.WriteAllBytes(Path.Combine(inputs, "a_good.jpg"), CraftedFiles.Jpeg(photo));
        File.WriteAllBytes(Path.Combine(inputs, "b_bomb.jpg"), CraftedFiles.JpegClaiming(23000, 23000));
        File.WriteAllBytes(Path.Combine(inputs, "c_bmp_named.jpg"), CraftedFiles.Bmp(photo));
        File.WriteAllBytes(Path.Combine(inputs, "d_corrupt.jpg"), new byte[300]);
        File.WriteAllBytes(Path.Combine(inputs, "e_rotated.jpg"), CraftedFiles.WithExifOrientation(CraftedFiles.Jpeg(photo), 6));
        var outDir = Path.Combine(work, "pred");
        (code, _, err) = CliRunner.Run("predict", "--config", SynthData.SmokeConfig, "--checkpoint", ckpt, "--input", inputs, "--out", outDir);
        // The failures are logged as met and listed again before the final one-line error (stderr), which ends the run with 2.
        Assert.True(code == 2, $"exit code {code}, stderr: {err}");
        var last = err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("error: ", last);
        foreach (var f in new[] { "2 of 5 inputs could not be read", "b_bomb.jpg", "d_corrupt.jpg" }) Assert.Contains(f, last);
        Assert.Contains("decompression bomb", err);
        Assert.Contains("corrupt JPEG", err);
        foreach (var stem in new[] { "a_good", "c_bmp_named", "e_rotated" })
            Assert.True(File.Exists(Path.Combine(outDir, stem + ".png")), stem);
        var rotated = ImageIO.ReadLabel(Path.Combine(outDir, "e_rotated.png"));
        Assert.Equal((photo.Height, photo.Width), (rotated.Width, rotated.Height)); // the mask lies on the upright photo
    }
}
