using Segmenter.Training;
using System.Diagnostics;
using System.Globalization;
using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.Export;
using Segmenter.Inference;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>One inference engine's figures: images/s and per-call latency percentiles, and how often its class map
/// agrees with the first engine's (fp32 TorchSharp) on the same inputs.</summary>
public sealed record PredictBenchResult(string Engine, int Height, int Width, int Batch, int Iters, double ImagesPerSecond,
    double P50Ms, double P95Ms, double? ArgmaxAgreement);

/// <summary>
/// `segment bench --predict`: the inference of a semantic model (normalised input [B,3,H,W] → logits → bilinear
/// upsampling to the input size → argmax, what `segment predict` does per image after decoding) timed call by call on
/// each engine: TorchSharp fp32, TorchSharp bf16 (weights and activations in bfloat16, logits upsampled in fp32), and ONNX
/// Runtime on the model exported at this size (`segment export --format onnx`: BatchNorm folded, normalisation and
/// upsampling in the graph, so it is fed the de-normalised input). scripts/bench_predict_compare.sh runs PyTorch eager
/// on the same network, size and threads, alternating with these. Weights are random unless a checkpoint is given: speed
/// does not depend on them, agreement does (random weights give near-ties), so pass trained weights for agreement.
/// </summary>
public static class PredictBenchmark
{
    public static IReadOnlyList<string> EngineNames => ["torch", "torch-bf16", "onnxruntime"];

    /// <param name="inputDir">Images to feed (resized to height × width, normalised with data.mean/std) instead of random
    /// inputs: with trained weights, argmax agreement on real images is the figure that matters.</param>
    public static IReadOnlyList<PredictBenchResult> Run(ExperimentConfig cfg, string? weights, int height, int width,
        IReadOnlyList<string> engines, int iters, int warmup, int batch = 1, int rounds = 1, string? inputDir = null)
    {
        foreach (var e in engines)
            if (!EngineNames.Contains(e))
                throw new SegmenterException($"unknown engine '{e}'", "--engines", $"use {string.Join(", ", EngineNames)}");
        if (ModelFactory.TaskOf(cfg.Model) == SegmentationTask.Panoptic)
            throw new SegmenterException("bench --predict times semantic models", "--config", "use a DeepLabV3+, PSA or ISANet config");
        if (cfg.Train.Threads > 0) torch.set_num_threads(cfg.Train.Threads);

        using var model = weights is null ? ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg)) : ModelLoader.Load(cfg, weights).Model;
        model.eval();
        var predictors = engines.Select(e => Create(e, model, cfg, height, width)).ToList();
        try
        {
            // The same inputs for every engine: deterministic, normalised-image-like values.
            var generator = new Generator(20261202);
            using var inputs = inputDir is null
                ? randn([Math.Max(1, warmup) + iters, batch, 3, height, width], generator: generator)
                : LoadImages(inputDir, cfg, Math.Max(1, warmup) + iters, batch, height, width);
            var latencies = engines.Select(_ => new List<double>()).ToList();
            var agreement = engines.Select(_ => (Same: 0L, Total: 0L)).ToArray();
            using var noGrad = no_grad();
            for (int r = 0; r < Math.Max(1, rounds); r++)
                for (int k = 0; k < engines.Count; k++)
                    for (int i = 0; i < warmup + iters; i++)
                    {
                        using var scope = NewDisposeScope();
                        var x = inputs[Math.Min(i, inputs.shape[0] - 1)];
                        var watch = Stopwatch.StartNew();
                        var labels = predictors[k](x);
                        _ = labels.sum().item<long>(); // wait for the result
                        watch.Stop();
                        if (i < warmup) continue;
                        latencies[k].Add(watch.Elapsed.TotalMilliseconds);
                        if (k > 0 && r == 0)
                        {
                            var reference = predictors[0](x);
                            agreement[k].Same += reference.eq(labels).sum().item<long>();
                            agreement[k].Total += reference.numel();
                        }
                    }
            return engines.Select((e, k) =>
            {
                var sorted = latencies[k].Order().ToList();
                double mean = sorted.Average();
                return new PredictBenchResult(e, height, width, batch, sorted.Count, batch * 1000.0 / mean,
                    Percentile(sorted, 0.50), Percentile(sorted, 0.95),
                    k == 0 ? null : (double)agreement[k].Same / Math.Max(1, agreement[k].Total));
            }).ToList();
        }
        finally
        {
            foreach (var p in predictors) (p.Target as IDisposable)?.Dispose();
        }
    }

    /// <summary>[n, batch, 3, H, W]: the folder's images in name order (repeated when there are fewer), bilinear to H × W, normalised.</summary>
    private static Tensor LoadImages(string dir, ExperimentConfig cfg, int n, int batch, int height, int width)
    {
        var files = Inference.Predictor.ListInputs(dir);
        using var scope = NewDisposeScope();
        var mean = tensor(cfg.Data.Mean.Select(v => (float)v).ToArray()).reshape(1, 3, 1, 1);
        var std = tensor(cfg.Data.Std.Select(v => (float)v).ToArray()).reshape(1, 3, 1, 1);
        var all = new List<Tensor>();
        for (int i = 0; i < n * batch; i++)
        {
            var image = IO.ImageIO.ReadRgb(files[i % files.Count], cfg.Data.MaxImagePixels);
            var x = tensor(image.Data, [1, image.Height, image.Width, 3]).permute(0, 3, 1, 2).to(ScalarType.Float32);
            x = nn.functional.interpolate(x, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
            all.Add((x - mean) / std);
        }
        return cat(all, 0).reshape(n, batch, 3, height, width).MoveToOuterDisposeScope();
    }

    private static Func<Tensor, Tensor> Create(string engine, Segmentor model, ExperimentConfig cfg, int height, int width) => engine switch
    {
        "torch" => x => ToClassMap(SegmentationInference.Logits(model, x, cfg.Test), height, width, cfg.Model.DecodeHead.AlignCorners),
        "torch-bf16" => Bf16(model, cfg, height, width),
        _ => OnnxRuntime(model, cfg, height, width),
    };

    /// <summary>The model exported to ONNX at this size (a temporary file) in an ONNX Runtime session with the same threads.</summary>
    private static Func<Tensor, Tensor> OnnxRuntime(Segmentor model, ExperimentConfig cfg, int height, int width)
    {
        if (model is not EncoderDecoder ed)
            throw new SegmenterException($"model type '{cfg.Model.Type}' has no ONNX export", "--engines", "drop onnxruntime");
        var path = Path.Combine(Path.GetTempPath(), $"segmenter_bench_{Environment.ProcessId}_{Guid.NewGuid():N}.onnx");
        var proto = OnnxExporter.Export(ed, new OnnxExportOptions { Height = height, Width = width, Mean = cfg.Data.Mean, Std = cfg.Data.Std });
        OnnxExporter.Save(proto, path);
        var holder = new OnnxEngine(new OnnxRuntimeModel(path, cfg.Train.Threads), cfg, path);
        return holder.Predict;
    }

    private sealed class OnnxEngine(OnnxRuntimeModel session, ExperimentConfig cfg, string path) : IDisposable
    {
        private readonly Tensor _mean = tensor(cfg.Data.Mean.Select(v => (float)v).ToArray()).reshape(1, 3, 1, 1);
        private readonly Tensor _std = tensor(cfg.Data.Std.Select(v => (float)v).ToArray()).reshape(1, 3, 1, 1);

        public Tensor Predict(Tensor x)
        {
            var outputs = session.Run(x * _std + _mean);   // the graph normalises raw pixel values itself
            return outputs["logits"].argmax(1);
        }

        public void Dispose()
        {
            session.Dispose();
            _mean.Dispose();
            _std.Dispose();
            File.Delete(path);
        }
    }

    /// <summary>A bfloat16 copy of the model (AVX-512 BF16 on this CPU through oneDNN); logits go back to fp32 for the upsampling.</summary>
    private static Func<Tensor, Tensor> Bf16(Segmentor model, ExperimentConfig cfg, int height, int width)
    {
        var copy = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        copy.load_state_dict(model.state_dict());
        copy.to(ScalarType.BFloat16);
        copy.eval();
        var holder = new Bf16Predictor(copy, cfg, height, width);
        return holder.Predict;
    }

    private sealed class Bf16Predictor(Segmentor model, ExperimentConfig cfg, int height, int width) : IDisposable
    {
        public Tensor Predict(Tensor x) =>
            ToClassMap(SegmentationInference.Logits(model, x.to(ScalarType.BFloat16), cfg.Test).to(ScalarType.Float32), height, width,
                cfg.Model.DecodeHead.AlignCorners);

        public void Dispose() => model.Dispose();
    }

    /// <summary>Logits [B,C,h,w] → class map [B,H,W] at the input size, as `segment predict` does.</summary>
    public static Tensor ToClassMap(Tensor logits, int height, int width, bool alignCorners)
    {
        var resized = logits.shape[2] == height && logits.shape[3] == width ? logits
            : nn.functional.interpolate(logits, [height, width], mode: InterpolationMode.Bilinear, align_corners: alignCorners);
        return resized.argmax(1);
    }

    private static double Percentile(List<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    public static string Format(IReadOnlyList<PredictBenchResult> results)
    {
        var lines = new List<string> { $"{"engine",-14} {"size",11} {"batch",5} {"img/s",8} {"p50 ms",9} {"p95 ms",9} {"x first",8} {"argmax agree",13}" };
        foreach (var r in results)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{r.Engine,-14} {r.Height + "x" + r.Width,11} {r.Batch,5} {r.ImagesPerSecond,8:F2} {r.P50Ms,9:F1} {r.P95Ms,9:F1} {r.ImagesPerSecond / results[0].ImagesPerSecond,8:F3} " +
                $"{(r.ArgmaxAgreement is { } a ? (100 * a).ToString("F3", CultureInfo.InvariantCulture) + " %" : "-"),13}"));
        return string.Join(Environment.NewLine, lines);
    }

    public static string ToJson(IReadOnlyList<PredictBenchResult> results) =>
        System.Text.Json.JsonSerializer.Serialize(results.Select(r => new Dictionary<string, object?>
        {
            ["engine"] = r.Engine, ["height"] = r.Height, ["width"] = r.Width, ["batch"] = r.Batch, ["iters"] = r.Iters,
            ["images_per_s"] = r.ImagesPerSecond, ["p50_ms"] = r.P50Ms, ["p95_ms"] = r.P95Ms, ["argmax_agreement"] = r.ArgmaxAgreement,
        }), new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
}
