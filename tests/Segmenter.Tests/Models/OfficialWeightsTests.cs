using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using Segmenter.Training;
using TorchSharp;
using Xunit.Abstractions;
using static Segmenter.Tests.Models.ModelTestUtil;
using static TorchSharp.torch;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.Models;

/// <summary>
/// Official weights load: the state-dict names/shapes dumped from the official PyTorch code (csrhddlam/axial-deeplab
/// ImageNet AxialAttentionNet, bowenc0221/panoptic-deeplab PanopticDeepLab R50; see Models/Data/README.md) equal ours,
/// and weight files with exactly those keys (safetensors, and official-layout .pth files) fill every tensor.
/// </summary>
public class OfficialWeightsTests(ITestOutputHelper output)
{
    /// <summary>The ImageNet AxialAttentionNet: 7x7 stem, output stride 32, 224 input (kernel sizes 56/56/28/14).</summary>
    private static AxialResNet ImageNetAxial(int depth, string width) =>
        new(new BackboneConfig
        {
            Type = "axial_resnet", Depth = depth, OutputStride = 32,
            Axial = new AxialConfig { Width = width, Stem = "conv7", InputSize = 224 },
        }, 224);

    private static Dictionary<string, long[]> ShapesOf(nn.Module m) => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

    private static void AssertSameKeys(IReadOnlyDictionary<string, long[]> official, IReadOnlyDictionary<string, long[]> ours)
    {
        Assert.Empty(official.Keys.Except(ours.Keys).Order(StringComparer.Ordinal));   // official keys we lack
        Assert.Empty(ours.Keys.Except(official.Keys).Order(StringComparer.Ordinal));   // keys only we have
        Assert.Empty(official.Where(kv => !kv.Value.SequenceEqual(ours[kv.Key])).Select(kv =>
            $"{kv.Key} official [{string.Join(",", kv.Value)}] ours [{string.Join(",", ours[kv.Key])}]"));
    }

    /// <summary>Random tensors for a key list: floats N(0,1), num_batches_tracked an int64 scalar, flatten_index the official index.</summary>
    private static Dictionary<string, Tensor> RandomWeights(IEnumerable<(string Name, long[] Shape)> keys)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in keys)
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) result[name] = tensor(1234L);
            else if (name.EndsWith("flatten_index", StringComparison.Ordinal))
            {
                // Official: relative_index[i, j] = key_index i (rows) − query_index j (columns) + K − 1, flattened.
                long k = (long)Math.Round(Math.Sqrt(shape[0]));
                result[name] = (arange(k, ScalarType.Int64).unsqueeze(1) - arange(k, ScalarType.Int64).unsqueeze(0) + (k - 1)).view(-1);
            }
            else result[name] = randn(shape);
        }
        return result;
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    private static void AssertAllEqual(nn.Module model, IReadOnlyDictionary<string, Tensor> file, Func<string, string>? fileName = null)
    {
        foreach (var (name, t) in model.state_dict())
        {
            var src = file[fileName?.Invoke(name) ?? name];
            Assert.True(Same(t, src), $"{name} was not copied");
        }
    }

    [Theory]
    [InlineData("axial26s_keys.txt", 26, "s")]
    [InlineData("axial50s_keys.txt", 50, "s")]
    [InlineData("axial50m_keys.txt", 50, "m")]
    [InlineData("axial50l_keys.txt", 50, "l")]
    public void AxialResNetImageNetKeysLoadIntoTheConv7Backbone(string keysFile, int depth, string width)
    {
        var keys = ReadKeyList(keysFile);
        using var net = ImageNetAxial(depth, width);
        AssertSameKeys(keys.Where(k => !k.Name.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(k => k.Name, k => k.Shape), ShapesOf(net));

        var dir = TestPaths.NewTempDir();
        try
        {
            manual_seed(7);
            var weights = RandomWeights(keys);
            var path = Path.Combine(dir, "axial.safetensors");
            SafeTensors.Save(path, weights);
            var report = PretrainedLoader.LoadBackbone(net, path);
            output.WriteLine($"{keysFile}: {report.Summary()}");
            Assert.Empty(report.Missing);
            Assert.Empty(report.Unexpected);
            Assert.Empty(report.ShapeMismatch);
            Assert.Equal(["fc.bias", "fc.weight"], report.Ignored);
            Assert.Equal(net.state_dict().Count, report.Loaded);
            AssertAllEqual(net, weights);
            foreach (var t in weights.Values) t.Dispose();
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// The released axial26s.pth layout: train.py wraps the model in DataParallel and saves {'net': state_dict, 'epoch'},
    /// so keys carry `module.`. The file's flatten_index buffers (built by the official code) equal ours.
    /// </summary>
    [Fact]
    public void Axial26sCheckpointLayoutLoadsWithItsFlattenIndex()
    {
        var path = Path.Combine(DataDir, "axial26s_official_format.pth");
        using var net = ImageNetAxial(26, "s");
        var fresh = net.state_dict().Where(kv => kv.Key.EndsWith("flatten_index", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var report = PretrainedLoader.LoadBackbone(net, path);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.ShapeMismatch);
        Assert.Equal(["fc.bias", "fc.weight"], report.Ignored);
        var file = PretrainedLoader.ReadTensors(path);
        AssertAllEqual(net, file, name => "module." + name);
        Assert.Equal(16, fresh.Count);
        foreach (var (name, index) in fresh) Assert.True(Same(index, file["module." + name]), $"{name} differs from the official index");
        foreach (var t in file.Values.Concat(fresh.Values)) t.Dispose();
    }

    [Theory]
    [InlineData("panoptic_deeplab_R50_os32_cityscapes_keys.txt", "panoptic_deeplab_r50_os32_cityscapes.yaml")]
    [InlineData("panoptic_deeplab_R50_os16_cityscapes_keys.txt", "panoptic_deeplab_r50_cityscapes.yaml")]
    public void PanopticDeepLabKeysLoadStrictlyAsEvalLoadsWeights(string keysFile, string config)
    {
        var keys = ReadKeyList(keysFile);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, config));
        using (var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg)))
            AssertSameKeys(keys.ToDictionary(k => k.Name, k => k.Shape), ShapesOf(model));

        var dir = TestPaths.NewTempDir();
        try
        {
            manual_seed(11);
            var weights = RandomWeights(keys);
            var path = Path.Combine(dir, "final_state.safetensors");
            SafeTensors.Save(path, weights);
            // The `segment eval` / `segment predict` path: strict (every key, same shapes, nothing extra).
            var (loaded, _) = Segmenter.Inference.ModelLoader.LoadPanoptic(cfg, path);
            using (loaded) AssertAllEqual(loaded, weights);
            foreach (var t in weights.Values) t.Dispose();
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ConfigAcceptsAxialDepth26AndInstanceHeadChannels()
    {
        const string yaml = "model:\n  type: panoptic_deeplab\n  backbone:\n    type: axial_resnet\n    depth: {0}\n    output_stride: 16\n  panoptic:\n    instance_head_channels: 32\n";
        var cfg = ConfigLoader.LoadText(string.Format(yaml, 26));
        Assert.Equal(26, cfg.Model.Backbone.Depth);
        Assert.Equal(32, cfg.Model.Panoptic.InstanceHeadChannels);
        var e = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText(string.Format(yaml, 101)));
        Assert.Contains("model.backbone.depth", e.Message);
        Assert.Null(new PanopticConfig().InstanceHeadChannels);   // default: the instance decoder width, as before
    }

    /// <summary>bowenc0221 tools/train_net.py saves the final model as torch.save(model.state_dict(), 'final_state.pth').</summary>
    [Fact]
    public void PanopticDeepLabFinalStatePthLoadsIntoTheOs32Config()
    {
        var path = Path.Combine(DataDir, "panoptic_deeplab_R50_os32_official_format.pth");
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "panoptic_deeplab_r50_os32_cityscapes.yaml"));
        var (model, _) = Segmenter.Inference.ModelLoader.LoadPanoptic(cfg, path);
        using (model)
        {
            var file = PretrainedLoader.ReadTensors(path);
            Assert.Equal(file.Count, model.state_dict().Count);
            AssertAllEqual(model, file);
            foreach (var t in file.Values) t.Dispose();
        }
    }
}
