using Segmenter.Config;
using Segmenter.Training;
using Xunit;
using Segmenter.Benchmarks;

namespace Segmenter.Tests.Benchmarks;

/// <summary>`segment bench --predict` (issue #17): every engine timed on the same inputs, fp32 first, bf16's class maps
/// compared with fp32's; the speed goals themselves are measured by scripts/bench_predict_compare.sh, not asserted here.</summary>
public class PredictBenchmarkTests
{
    private static ExperimentConfig Tiny() => ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_voc.yaml"),
        ["data.root=/nonexistent", "model.decode_head.channels=16", "model.aux_head.channels=8"]);

    [Fact]
    public void TimesEachEngineAndComparesArgmax()
    {
        var results = PredictBenchmark.Run(Tiny(), null, 48, 40, ["torch", "torch-bf16", "onnxruntime"], iters: 3, warmup: 1, batch: 2);
        Assert.Equal(["torch", "torch-bf16", "onnxruntime"], results.Select(r => r.Engine));
        Assert.All(results, r =>
        {
            Assert.Equal((48, 40, 2, 3), (r.Height, r.Width, r.Batch, r.Iters));
            Assert.True(r.ImagesPerSecond > 0 && r.P50Ms > 0 && r.P95Ms >= r.P50Ms);
        });
        Assert.Null(results[0].ArgmaxAgreement);
        Assert.InRange(results[1].ArgmaxAgreement!.Value, 0.5, 1.0);
        Assert.InRange(results[2].ArgmaxAgreement!.Value, 0.9999, 1.0);   // ONNX Runtime computes the fp32 model
        var table = PredictBenchmark.Format(results);
        Assert.Contains("torch-bf16", table);
        Assert.Contains("48x40", table);
    }

    [Fact]
    public void FeedsImagesFromAFolder()
    {
        var dir = Path.Combine(Segmenter.Tests.EndToEnd.SynthData.VocRoot, "JPEGImages");
        var results = PredictBenchmark.Run(Tiny(), null, 32, 48, ["torch", "torch-bf16"], iters: 2, warmup: 0, inputDir: dir);
        Assert.Equal(2, results[0].Iters);
        Assert.InRange(results[1].ArgmaxAgreement!.Value, 0.5, 1.0);
    }

    [Fact]
    public void UnknownEngineIsNamed()
    {
        var e = Assert.Throws<SegmenterException>(() => PredictBenchmark.Run(Tiny(), null, 32, 32, ["tensorrt"], 1, 0));
        Assert.Contains("tensorrt", e.Message);
    }
}
