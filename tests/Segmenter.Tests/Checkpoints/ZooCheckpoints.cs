using System.Text.Json;
using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Checkpoints;

/// <summary>
/// MMSegmentation-, mmengine-, torchvision- and DataParallel-layout .pth files of the smoke config's model (ResNet-18
/// DeepLabV3+), written once per test run by Data/make_mmseg_checkpoints.py with Debian's PyTorch from our model's
/// weights (<see cref="Source"/>, safetensors). Without /usr/bin/python3 and torch the tests that use them fail with the
/// install command, as the other tests that need Debian's PyTorch do.
/// </summary>
public static class ZooCheckpoints
{
    private static readonly Lazy<Files> Generated = new(Generate);

    /// <summary>The generated files and what their meta records.</summary>
    public sealed record Files(string Dir, string Source, IReadOnlyList<string> Classes, IReadOnlyList<(byte R, byte G, byte B)> Palette,
        IReadOnlyList<string> SubsetKeys)
    {
        public string this[string name] => Path.Combine(Dir, name);
    }

    public static Files Get() => Generated.Value;

    /// <summary>The smoke config on the shared synthetic VOC set, with no class names or palette of its own.</summary>
    public static readonly string[] NoNamesOverrides = ["data.class_names=[]", "data.palette=[]"];

    private static Files Generate()
    {
        if (!File.Exists("/usr/bin/python3") || ExternalProcess.Python("-c", "import torch, numpy").Exit != 0)
            Assert.Fail("/usr/bin/python3 with torch and numpy is needed: apt-get install python3-torch (scripts/test.sh does)");
        var dir = TestPaths.NewTempDir("zoo");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig);
        var source = Path.Combine(dir, "source.safetensors");
        using (var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg)))
        {
            // Non-trivial BN statistics, so that a buffer that does not load changes the predictions.
            var g = new Generator(7);
            using (no_grad())
                foreach (var (name, buffer) in model.named_buffers())
                    if (name.EndsWith("running_var")) buffer.copy_(rand(buffer.shape, generator: g) + 0.5);
                    else if (name.EndsWith("running_mean")) buffer.copy_(randn(buffer.shape, generator: g) * 0.2);
                    else if (name.EndsWith("num_batches_tracked")) buffer.fill_(100);
            SafeTensors.Save(source, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string> { ["format"] = "pt" });
        }
        var script = Path.Combine(TestPaths.RepoRoot, "tests", "Segmenter.Tests", "Checkpoints", "Data", "make_mmseg_checkpoints.py");
        var (exit, stdout, stderr) = ExternalProcess.Python(script, "--weights", source, "--out", dir);
        Assert.True(exit == 0, stderr);
        using var manifest = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = manifest.RootElement;
        return new Files(dir, source,
            root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToList(),
            root.GetProperty("palette").EnumerateArray().Select(c => ((byte)c[0].GetInt32(), (byte)c[1].GetInt32(), (byte)c[2].GetInt32())).ToList(),
            root.GetProperty("subset").EnumerateArray().Select(e => e.GetString()!).ToList());
    }

    /// <summary>Asserts <paramref name="actual"/> holds exactly <paramref name="keys"/> of the source weights, bit for bit.</summary>
    public static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> actual, IReadOnlyCollection<string>? keys = null)
    {
        var source = SafeTensors.Load(Get().Source).Tensors;
        try
        {
            var expected = keys ?? source.Keys;
            Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var key in expected)
            {
                Assert.Equal(source[key].dtype, actual[key].dtype);
                Assert.Equal(source[key].shape, actual[key].shape);
                Assert.True(source[key].eq(actual[key]).all().item<bool>(), $"{key} differs from the source weights");
            }
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
    }
}
