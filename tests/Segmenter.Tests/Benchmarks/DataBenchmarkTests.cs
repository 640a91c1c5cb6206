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
        Assert.Contains("decode JPEG", DataBenchmark.Format(r));
        Assert.Contains($"({Segmenter.IO.TurboJpeg.Decoder})", DataBenchmark.Format(r)); // which JPEG decoder was timed
        Assert.Contains(Segmenter.IO.TurboJpeg.Decoder, DataBenchmark.ToJson(r));
    }
}
