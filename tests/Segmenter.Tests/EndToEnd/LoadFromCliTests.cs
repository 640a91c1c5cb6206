using System.Text;
using System.Text.Json;
using Segmenter.Checkpoints;
using Segmenter.Tests.Checkpoints;
using Segmenter.Tests.Training.Distributed;
using Xunit.Abstractions;

namespace Segmenter.Tests.EndToEnd;

/// <summary>`segment train --load-from` as a user runs it, and the README's fine-tuning recipe exactly as written.</summary>
[Collection("cli")]
public sealed class LoadFromCliTests(ITestOutputHelper output)
{
    private static readonly string[] Classifiers =
        ["auxiliary_head.conv_seg.bias", "auxiliary_head.conv_seg.weight", "decode_head.conv_seg.bias", "decode_head.conv_seg.weight"];

    [Fact]
    public void TheFirstIterationStartsFromTheLoadedWeights()
    {
        // The MMSegmentation 0.x-layout file (numpy scalars in meta) of the smoke model's weights; at lr 1e-20 the
        // parameters after the first step are the ones it ran with, up to 1e-20 × gradient.
        var zoo = ZooCheckpoints.Get();
        var work = TestPaths.NewTempDir("loadfrom_train");
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--load-from", zoo["mmseg0x.pth"], "--stop-at", "1",
            "--cfg-options", $"data.root={SynthData.VocRoot}", $"train.work_dir={work}", "optimizer.lr=1e-20", "schedule.min_lr=0",
            "optimizer.weight_decay=0", "data.num_workers=1");
        Assert.True(code == 0, err);
        using var ckpt = WeightsReader.Read(Path.Combine(work, "iter_00000001.ckpt"));
        var source = Segmenter.IO.SafeTensors.Load(zoo.Source).Tensors;
        foreach (var (key, trained) in ckpt.Model)
        {
            if (key.Contains("running_") || key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue; // BN statistics move in train mode
            double diff = (trained - source[key]).abs().max().item<float>();
            Assert.True(diff <= 1e-12, $"{key} moved {diff} from the loaded weights in one step at lr 1e-20");
        }
        foreach (var t in source.Values) t.Dispose();
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "load_from.json")));
        Assert.Equal(ckpt.Model.Count, report.RootElement.GetProperty("loaded").GetInt32());
    }

    [Fact]
    public void ResumeAndLoadFromTogetherIsAnErrorThatExplainsTheDifference()
    {
        var (code, _, err) = CliRunner.Run("train", "--config", SynthData.SmokeConfig, "--load-from", "model.pth", "--resume", "auto");
        Assert.Equal(2, code);
        Assert.Contains("--resume continues a run", err);
        Assert.Contains("new run at iteration 0", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ReadmeFineTuningRecipeRunsAsWritten()
    {
        // The README's commands run from the repository root: configs/ beside data/ and work_dirs/.
        var dir = TestPaths.NewTempDir("readme_finetune");
        Directory.CreateSymbolicLink(Path.Combine(dir, "configs"), TestPaths.Configs);
        foreach (var line in ReadmeRecipe())
        {
            var args = ShellWords(line["segment ".Length..]);
            var (exit, stdout, stderr) = ExternalProcess.Run("dotnet", [MpiRunner.SegmentDll, .. args], dir);
            output.WriteLine($"$ {line}\n-> {exit}");
            Assert.True(exit == 0, $"`{line}` exited {exit}: {stderr}{stdout}");
        }
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "work_dirs", "finetune_folder_from_cityscapes", "load_from.json")));
        var skipped = report.RootElement.GetProperty("skipped_shape").EnumerateArray().Select(e => e.GetString()!.Split(' ')[0]).Order(StringComparer.Ordinal);
        Assert.Equal(Classifiers, skipped);
        Assert.Equal(0, report.RootElement.GetProperty("missing").GetArrayLength());
        Assert.Equal(0, report.RootElement.GetProperty("unexpected").GetArrayLength());
    }

    /// <summary>The `segment ...` lines of the README's block after the finetune-recipe marker.</summary>
    private static List<string> ReadmeRecipe()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "README.md"));
        int start = Array.IndexOf(lines, "<!-- finetune-recipe -->");
        Assert.True(start >= 0, "README.md lost its <!-- finetune-recipe --> block");
        var recipe = new List<string>();
        for (int i = start + 2; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
            if (lines[i].StartsWith("segment ", StringComparison.Ordinal)) recipe.Add(lines[i]);
        Assert.True(recipe.Count >= 4, "the README recipe has too few commands");
        return recipe;
    }

    /// <summary>Splits a command line as bash does for plain words and single-quoted words (all the README uses).</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in line)
        {
            if (c == '\'') { quoted = !quoted; any = true; }
            else if (c == ' ' && !quoted) { if (any) words.Add(word.ToString()); word.Clear(); any = false; }
            else { word.Append(c); any = true; }
        }
        if (any) words.Add(word.ToString());
        return words;
    }
}
