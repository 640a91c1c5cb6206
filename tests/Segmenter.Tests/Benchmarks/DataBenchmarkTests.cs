using Segmenter.Benchmarks;
using Segmenter.Config;
using Xunit;

namespace Segmenter.Tests.Benchmarks;

/// <summary>`segment bench --data` (issue #17): generated VOC-sized JPEGs go through the config's train pipeline and every
/// step is timed; the speed goal itself is measured by scripts/bench_data_compare.sh.</summary>
public class DataBenchmarkTests
{
    [Fact]
    public void TimesDecodeAndTransformsOnVocSizedJpegs()
    {
        var dir = TestPaths.NewTempDir("benchdata");
        DataBenchmark.WriteImages(dir, count: 3);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(dir, "images"), "*.jpg").Length);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"), ["data.root=/nonexistent"]);
        var r = DataBenchmark.Run(cfg, dir, rounds: 2);
        Assert.Equal((6, 500, 375), (r.Images, r.Width, r.Height));
        Assert.True(r.DecodeImageMs > 0 && r.DecodeLabelMs > 0 && r.TransformMs > 0);
        Assert.Equal(1000 / (r.DecodeImageMs + r.DecodeLabelMs + r.TransformMs), r.ImagesPerSecondPerCore, 6);
        // The transforms' steps are timed inside the transforms' span (laps of one clock, so they cannot add up to more).
        var steps = r.Steps;
        Assert.True(steps.RescaleCrop > 0 && steps.Flip >= 0 && steps.PhotoMetric > 0 && steps.NormalizePad > 0);
        Assert.True(steps.RescaleCrop + steps.Flip + steps.PhotoMetric + steps.NormalizePad <= r.TransformMs * (1 + 1e-9));
        Assert.Contains("photometric", DataBenchmark.Format(r));
        Assert.Contains("\"photometric_ms\"", DataBenchmark.ToJson(r));
        Assert.Contains("decode JPEG", DataBenchmark.Format(r));
        Assert.Contains($"({Segmenter.IO.TurboJpeg.Decoder})", DataBenchmark.Format(r)); // which JPEG decoder was timed
        Assert.Contains(Segmenter.IO.TurboJpeg.Decoder, DataBenchmark.ToJson(r));
    }

    /// <summary>The Python peer (scripts/bench_data_pil.py) runs on the same files and reports the same step keys, so
    /// scripts/bench_data_compare.sh can put the two splits side by side.</summary>
    [Fact]
    public void PythonPeerReportsTheSameSteps()
    {
        if (ExternalProcess.Python("-c", "import torch, torchvision, PIL").Exit != 0)
        {
            Assert.Fail("/usr/bin/python3 with torch, torchvision and PIL is needed: apt-get install python3-torch python3-torchvision (scripts/test.sh does)");
        }
        var dir = TestPaths.NewTempDir("benchdata-pil");
        DataBenchmark.WriteImages(dir, count: 2);
        var (exit, stdout, stderr) = ExternalProcess.Python(Path.Combine(TestPaths.RepoRoot, "scripts", "bench_data_pil.py"), "--dir", dir);
        Assert.True(exit == 0, stderr);
        using var peer = System.Text.Json.JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"), ["data.root=/nonexistent"]);
        using var ours = System.Text.Json.JsonDocument.Parse(DataBenchmark.ToJson(DataBenchmark.Run(cfg, dir, rounds: 1)));
        var peerKeys = peer.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var key in ours.RootElement.EnumerateObject().Select(p => p.Name).Where(k => k.EndsWith("_ms") || k == "images_per_s_per_core"))
        {
            Assert.Contains(key, peerKeys);
            Assert.True(peer.RootElement.GetProperty(key).GetDouble() >= 0, key);
        }
        Assert.Equal(2, peer.RootElement.GetProperty("images").GetInt32());
    }
}
