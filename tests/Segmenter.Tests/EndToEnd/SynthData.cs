using Segmenter.Data.Synth;

namespace Segmenter.Tests.EndToEnd;

/// <summary>One generated tiny VOC dataset shared by the end-to-end tests of a run (generated once, read-only afterwards).</summary>
public static class SynthData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = TestPaths.NewTempDir("synth_voc");
        VocSynth.Generate(dir, count: 48, size: 96, seed: 0);
        return Path.Combine(dir, "VOCdevkit", "VOC2012");
    });

    /// <summary>The VOC2012 folder of the shared generated dataset.</summary>
    public static string VocRoot => Root.Value;

    public static string SmokeConfig => Path.Combine(TestPaths.Configs, "smoke_voc.yaml");
}
