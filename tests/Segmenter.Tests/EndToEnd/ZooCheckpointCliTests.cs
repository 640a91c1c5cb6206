using System.Text.Json;
using Segmenter.Config;
using Segmenter.Inference;
using Segmenter.IO;
using Segmenter.Tests.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// Issue 23 through the CLI and the embedding API: `segment eval`, `predict` and `export` and
/// <see cref="SegmentationModel"/> take MMSegmentation 0.x / 1.x checkpoints and DataParallel-wrapped files of the smoke
/// model as they take its safetensors (same metrics, same maps), name and colour classes from the checkpoint's meta
/// where the config has none, and refuse a code-running global hidden in meta with exit 2 and one line naming it.
/// </summary>
[Collection("cli")]
public sealed class ZooCheckpointCliTests
{
    private static ZooCheckpoints.Files Zoo => ZooCheckpoints.Get();

    private static string[] Options(params string[] extra) =>
        ["--cfg-options", $"data.root={SynthData.VocRoot}", .. ZooCheckpoints.NoNamesOverrides, .. extra];

    private static string FirstImage() =>
        Directory.GetFiles(Path.Combine(SynthData.VocRoot, "JPEGImages"), "*.jpg").Order(StringComparer.Ordinal).First();

    [Fact]
    public void Eval_of_an_mmseg_0x_checkpoint_gives_the_source_weights_metrics_with_the_meta_class_names()
    {
        var dir = TestPaths.NewTempDir("zooeval");
        var fromSource = Path.Combine(dir, "source.json");
        var (code, _, err) = CliRunner.Run(["eval", "--config", SynthData.SmokeConfig, "--checkpoint", Zoo.Source, "--out", fromSource, .. Options()]);
        Assert.True(code == 0, err);
        var fromMmseg = Path.Combine(dir, "mmseg.json");
        (code, var stdout, err) = CliRunner.Run(["eval", "--config", SynthData.SmokeConfig, "--checkpoint", Zoo["mmseg0x.pth"], "--out", fromMmseg, .. Options()]);
        Assert.True(code == 0, err);
        Assert.Contains("class names and palette from the checkpoint's meta", stdout + err);
        Assert.Contains(Zoo.Classes[1], stdout); // the per-class table
        // Every number of the results (summary and per class, in order) is the same; only the class names differ.
        Assert.Equal(Numbers(File.ReadAllText(fromSource)), Numbers(File.ReadAllText(fromMmseg)));
    }

    private static List<double> Numbers(string json)
    {
        var numbers = new List<double>();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Number: numbers.Add(e.GetDouble()); break;
                case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Walk(p.Value); break;
                case JsonValueKind.Array: foreach (var x in e.EnumerateArray()) Walk(x); break;
            }
        }
        using var d = JsonDocument.Parse(json);
        Walk(d.RootElement);
        Assert.NotEmpty(numbers);
        return numbers;
    }

    [Fact]
    public void Predict_with_a_dataparallel_mmseg_1x_checkpoint_writes_the_source_weights_maps_in_the_meta_palette()
    {
        var image = FirstImage();
        var stem = Path.GetFileNameWithoutExtension(image);
        var dir = TestPaths.NewTempDir("zoopredict");
        var (code, _, err) = CliRunner.Run(["predict", "--config", SynthData.SmokeConfig, "--checkpoint", Zoo.Source, "--input", image,
            "--out", Path.Combine(dir, "source"), .. Options()]);
        Assert.True(code == 0, err);
        (code, var stdout, err) = CliRunner.Run(["predict", "--config", SynthData.SmokeConfig, "--checkpoint", Zoo["mmseg1x_dataparallel.pth"],
            "--input", image, "--out", Path.Combine(dir, "mmseg"), .. Options()]);
        Assert.True(code == 0, err);
        Assert.Contains("stripped the DataParallel prefix 'module.'", stdout + err);
        Assert.Contains("class names and palette from the checkpoint's meta", stdout + err);
        var expected = ImageIO.ReadLabel(Path.Combine(dir, "source", stem + ".png"));
        var labels = ImageIO.ReadLabel(Path.Combine(dir, "mmseg", stem + ".png"));
        Assert.Equal(expected.Data, labels.Data);
        var colour = ImageIO.ReadRgb(Path.Combine(dir, "mmseg", stem + "_color.png"));
        for (int i = 0; i < labels.Data.Length; i += 97)
        {
            var (r, g, b) = Zoo.Palette[labels.Data[i]];
            Assert.Equal([r, g, b], colour.Data[(i * 3)..(i * 3 + 3)]);
        }
    }

    [Fact]
    public void Export_of_a_dataparallel_state_dict_writes_the_source_weights_without_the_prefix()
    {
        var outPath = Path.Combine(TestPaths.NewTempDir("zooexport"), "x.safetensors");
        var (code, _, err) = CliRunner.Run("export", "--checkpoint", Zoo["dataparallel.pth"], "--out", outPath);
        Assert.True(code == 0, err);
        var exported = SafeTensors.Load(outPath).Tensors;
        ZooCheckpoints.AssertSameTensors(exported);
        foreach (var t in exported.Values) t.Dispose();
    }

    [Fact]
    public void Embedding_api_names_classes_from_the_meta_and_predicts_as_with_the_source_weights()
    {
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, [$"data.root={SynthData.VocRoot}", .. ZooCheckpoints.NoNamesOverrides]);
        using var fromMmseg = SegmentationModel.Load(cfg, Zoo["mmseg0x.pth"]);
        using var fromSource = SegmentationModel.Load(cfg, Zoo.Source);
        Assert.Equal(Zoo.Classes, fromMmseg.ClassNames);
        Assert.Equal("aeroplane", fromSource.ClassNames[1]); // no meta: the dataset type's (VOC) names
        Assert.Equal(fromSource.Predict(FirstImage()).ClassMap, fromMmseg.Predict(FirstImage()).ClassMap);

        // The config's own names win over the checkpoint's.
        var own = $"data.class_names=[{string.Join(",", Enumerable.Range(0, 21).Select(i => $"own_{i}"))}]";
        using var named = SegmentationModel.Load(ConfigLoader.Load(SynthData.SmokeConfig, [$"data.root={SynthData.VocRoot}", own]), Zoo["mmseg0x.pth"]);
        Assert.Equal("own_1", named.ClassNames[1]);
    }

    [Theory]
    [InlineData("predict", "evil_os_system.pth", "posix.system")]
    [InlineData("eval", "evil_eval.pth", "builtins.eval")]
    [InlineData("export", "evil_partial.pth", "functools.partial")]
    [InlineData("predict", "evil_in_message_hub.pth", "posix.system")]
    public void Code_running_global_beside_the_weights_is_exit_2_naming_it(string command, string file, string global)
    {
        var path = Zoo[file];
        var dir = TestPaths.NewTempDir("zooevil");
        string[] args = command switch
        {
            "predict" => ["predict", "--config", SynthData.SmokeConfig, "--checkpoint", path, "--input", FirstImage(), "--out", dir, .. Options()],
            "eval" => ["eval", "--config", SynthData.SmokeConfig, "--checkpoint", path, .. Options()],
            _ => ["export", "--checkpoint", path, "--out", Path.Combine(dir, "x.safetensors")],
        };
        var (code, _, err) = CliRunner.Run(args);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 2, $"exit code {code}, stderr: {err}");
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{err}");
        Assert.Contains(path, lines[0]);
        Assert.Contains($"'{global}'", lines[0]);
        Assert.Contains("fix:", lines[0]);
    }
}
