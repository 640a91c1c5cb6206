using Segmenter.Config;
using Segmenter.Models;
using Xunit;

namespace Segmenter.Tests.Models;

/// <summary>
/// Module field names are state-dict keys (docs/architecture.md): the whole DeepLabV3+ R50-D8 has exactly the names and
/// shapes of the PyTorch reference network (Models/Data/deeplabv3plus_r50-d8_keys.txt). Renaming a field, or adding one
/// that owns parameters, fails here before it silently breaks pretrained weights, exported files and parity.
/// </summary>
public class StateDictNamesTests
{
    [Fact]
    public void DeepLabV3PlusR50HasThePyTorchNamesAndShapes()
    {
        var expected = File.ReadLines(Path.Combine(ModelTestUtil.DataDir, "deeplabv3plus_r50-d8_keys.txt"))
            .Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"), ["data.root=/nonexistent"]);
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => string.Join(",", kv.Value.shape));
        Assert.Empty(expected.Keys.Except(ours.Keys).Order());   // missing in ours
        Assert.Empty(ours.Keys.Except(expected.Keys).Order());   // ours only
        foreach (var (name, shape) in expected) Assert.True(shape == ours[name], $"{name}: ours [{ours[name]}], PyTorch [{shape}]");
    }
}
