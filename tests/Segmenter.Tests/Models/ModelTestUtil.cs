using Segmenter.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

internal static class ModelTestUtil
{
    public static string DataDir => Path.Combine(TestPaths.RepoRoot, "tests", "Segmenter.Tests", "Models", "Data");

    /// <summary>Reads "name&lt;TAB&gt;d0,d1,..." lines (# = comment) as ordered (name, shape) pairs.</summary>
    public static List<(string Name, long[] Shape)> ReadKeyList(string file)
    {
        var path = Path.Combine(DataDir, file);
        return File.ReadAllLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var parts = l.Split('\t');
                var shape = parts[1].Length == 0 ? Array.Empty<long>() : parts[1].Split(',').Select(long.Parse).ToArray();
                return (parts[0], shape);
            }).ToList();
    }

    public static List<(string Name, long[] Shape)> KeysOf(nn.Module m) =>
        m.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();

    public static long[] Shape(nn.Module m, string key)
    {
        var sd = m.state_dict();
        Assert.True(sd.ContainsKey(key), $"missing key {key}");
        return sd[key].shape;
    }

    public static BackboneConfig Backbone(int depth, int os = 32, bool deepStem = false, List<int>? multiGrid = null,
        string attention = "none", string layout = "parallel", bool contractDilation = false) =>
        new() { Depth = depth, OutputStride = os, DeepStem = deepStem, MultiGrid = multiGrid, ContractDilation = contractDilation,
            Attention = new AttentionConfig { Type = attention, Layout = layout } };

    /// <summary>A small DeepLabV3+ on ResNet-18 with an FCN aux head: quick to build and run on 64x64 inputs.</summary>
    public static ModelConfig TinyDeepLab(int numClasses = 5, int os = 8, string attention = "none") => new()
    {
        NumClasses = numClasses,
        Backbone = Backbone(18, os, attention: attention),
        DecodeHead = new DecodeHeadConfig { Channels = 32, Dilations = [1, 2, 3], C1Channels = 8 },
        AuxHead = new AuxHeadConfig { Channels = 16 },
    };
}
