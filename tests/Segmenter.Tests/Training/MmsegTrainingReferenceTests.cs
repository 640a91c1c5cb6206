using System.Text.Json;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using Segmenter.Training;
using Segmenter.Training.Optim;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training;

/// <summary>
/// K SGD steps of DeepLabV3+ R50 as our trainer runs them (LrSchedule → each group's lr, ComputeLosses, TrainStep)
/// against scripts/train_step_reference.py, a PyTorch reference of MMSegmentation's training step (its cross-entropy
/// reduction and class weights, mmcv's and mmengine's warm-up + poly) run on Debian's PyTorch from the same initial
/// weights and batch. The reference runs in float32 and float64; ours (float32) must lie within a few times the
/// reference's own float32-vs-float64 spread of the float64 result, per iteration for the loss and per tensor for the
/// final weights. Getting the loss's denominator wrong moves the loss by N_all/N_valid (~1.1 here) and the schedule's
/// semantics move the lr by percents, both far outside that noise.
/// </summary>
public sealed class MmsegTrainingReferenceTests(ITestOutputHelper output)
{
    public static TheoryData<string, string[]> Cases => new()
    {
        { "mmseg default with class weights, mmcv warm-up + poly", ["model.loss.class_weight=[0.05,1.0,2.0,1.0,0.5]", "schedule.semantics=mmcv"] },
        { "avg_non_ignore, mmengine", ["model.loss.avg_non_ignore=true", "schedule.semantics=mmengine"] },
    };

    private static readonly string[] Model =
    [
        "model.num_classes=5", "data.class_names=[]", "model.backbone.depth=50", "model.backbone.output_stride=8",
        "model.decode_head.channels=16", "model.decode_head.dilations=[1,12,24,36]", "model.decode_head.c1_channels=8",
        "model.decode_head.dropout=0", "model.aux_head.channels=8", "model.aux_head.dropout=0",
        "optimizer.lr=0.01", "optimizer.momentum=0.9", "optimizer.weight_decay=0.0005",
        "schedule.max_iters=6", "schedule.warmup_iters=3", "schedule.warmup_ratio=0.1", "schedule.power=0.9", "schedule.min_lr=0.0001",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepsEqualMmsegTrainingWithinFloat32Noise(string name, string[] overrides)
    {
        if (!File.Exists("/usr/bin/python3") || ExternalProcess.Python("-c", "import torch, torchvision").Exit != 0)
        {
            output.WriteLine("skipped: /usr/bin/python3 with torch and torchvision not found (apt-get install python3-torch python3-torchvision)");
            return;
        }
        output.WriteLine(name);
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, [.. Model, .. overrides]);
        var dir = TestPaths.NewTempDir("mmsegstep");
        torch.manual_seed(11);
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        SafeTensors.Save(Path.Combine(dir, "init.safetensors"), model.state_dict());
        var batch = RandomBatch(n: 2, h: 64, w: 64, classes: cfg.Model.NumClasses, seed: 5);
        using (var scope = NewDisposeScope())
        {
            var (images, labels) = batch.ToTensors(CPU);
            SafeTensors.Save(Path.Combine(dir, "batch.safetensors"), new Dictionary<string, Tensor> { ["images"] = images, ["labels"] = labels });
        }
        File.WriteAllText(Path.Combine(dir, "case.json"), CaseJson(cfg));

        // Our steps, as Trainer runs each iteration.
        using var optimizer = OptimizerFactory.Create(cfg.Optimizer, model);
        var schedule = new LrSchedule(cfg.Schedule, cfg.Optimizer.Lr);
        model.train();
        var ours = new List<double>();
        for (long it = 0; it < cfg.Schedule.MaxIters; it++)
        {
            optimizer.SetLearningRates(mult => schedule.LearningRate(it, schedule.BaseLr * mult));
            ours.Add(TrainStep.Run(model, optimizer, null, () => model.ComputeLosses(batch.ToTraining(CPU)))["loss"]);
        }

        var (exit, stdout, stderr) = ExternalProcess.Python(Path.Combine(TestPaths.RepoRoot, "scripts", "train_step_reference.py"),
            "--case", Path.Combine(dir, "case.json"), "--weights", Path.Combine(dir, "init.safetensors"),
            "--batch", Path.Combine(dir, "batch.safetensors"), "--out", dir);
        Assert.True(exit == 0, stderr + stdout);
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "result.json")));
        double[] Losses(string precision) => result.RootElement.GetProperty(precision).GetProperty("loss").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] ref32 = Losses("float32"), ref64 = Losses("float64");
        double[] lrs = result.RootElement.GetProperty("float64").GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        // The first loss is a forward only, with little float32 noise; after the first update, train-mode BatchNorm
        // amplifies it, and one float32 run samples it at each iteration, so the bound there is the largest spread seen.
        double trajectoryNoise = ref32.Zip(ref64, (a, b) => Math.Abs(a - b)).Max();
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.Equal(lrs[i], schedule.LearningRate(i), 12);
            double noise = i == 0 ? Math.Abs(ref32[0] - ref64[0]) : trajectoryNoise;
            double tol = 4 * noise + 1e-6 * Math.Abs(ref64[i]);
            output.WriteLine($"iter {i}: lr {lrs[i]:G6} ours {ours[i]:R} float32 {ref32[i]:R} float64 {ref64[i]:R} (|ours-f64| {Math.Abs(ours[i] - ref64[i]):G3}, tol {tol:G3})");
            Assert.True(Math.Abs(ours[i] - ref64[i]) <= tol, $"{name}: iteration {i} loss {ours[i]} vs the reference's {ref64[i]} (float32 {ref32[i]}, tolerance {tol})");
        }

        // Weights: each tensor's largest difference relative to its scale; ours from float64 must stay within a few
        // times the largest such float32-vs-float64 difference over the model (one float32 run samples the noise of a
        // single tensor poorly, the model-wide maximum well).
        var w32 = SafeTensors.Load(Path.Combine(dir, "weights_float32.safetensors")).Tensors;
        var w64 = SafeTensors.Load(Path.Combine(dir, "weights_float64.safetensors")).Tensors;
        double oursWorst = 0, noiseWorst = 0;
        string oursKey = "", noiseKey = "";
        foreach (var (key, mine) in model.state_dict())
        {
            using var scope = NewDisposeScope();
            var r64 = w64[key].to_type(ScalarType.Float64);
            double scale = Math.Max(1e-3, r64.abs().max().item<double>());
            double spread = (w32[key].to_type(ScalarType.Float64) - r64).abs().max().item<double>() / scale;
            double diff = (mine.detach().to_type(ScalarType.Float64) - r64).abs().max().item<double>() / scale;
            if (spread > noiseWorst) (noiseWorst, noiseKey) = (spread, key);
            if (diff > oursWorst) (oursWorst, oursKey) = (diff, key);
        }
        output.WriteLine($"weights: ours vs float64 at most {oursWorst:G3} of scale ({oursKey}); float32 vs float64 at most {noiseWorst:G3} ({noiseKey})");
        Assert.True(oursWorst <= 4 * noiseWorst + 1e-6,
            $"{name}: {oursKey} differs from the reference's float64 weights by {oursWorst:G3} of its scale; float32 noise is {noiseWorst:G3} ({noiseKey})");
    }

    private static string CaseJson(ExperimentConfig cfg)
    {
        var m = cfg.Model;
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["num_classes"] = m.NumClasses, ["depth"] = m.Backbone.Depth, ["os"] = m.Backbone.OutputStride,
            ["channels"] = m.DecodeHead.Channels, ["c1_channels"] = m.DecodeHead.C1Channels, ["aux_channels"] = m.AuxHead!.Channels,
            ["dilations"] = m.DecodeHead.Dilations, ["steps"] = cfg.Schedule.MaxIters,
            ["loss"] = new Dictionary<string, object?>
            {
                ["avg_non_ignore"] = m.Loss.AvgNonIgnore, ["torch_weighted_mean"] = m.Loss.TorchWeightedMean, ["class_weight"] = m.Loss.ClassWeight,
                ["ignore_index"] = m.Loss.IgnoreIndex, ["decode_weight"] = m.DecodeHead.LossWeight, ["aux_weight"] = m.AuxHead.LossWeight,
            },
            ["optimizer"] = new Dictionary<string, object?> { ["lr"] = cfg.Optimizer.Lr, ["momentum"] = cfg.Optimizer.Momentum, ["weight_decay"] = cfg.Optimizer.WeightDecay },
            ["schedule"] = new Dictionary<string, object?>
            {
                ["semantics"] = cfg.Schedule.Semantics, ["max_iters"] = cfg.Schedule.MaxIters, ["warmup_iters"] = cfg.Schedule.WarmupIters,
                ["warmup_ratio"] = cfg.Schedule.WarmupRatio, ["power"] = cfg.Schedule.Power, ["min_lr"] = cfg.Schedule.MinLr,
            },
        });
    }

    /// <summary>Images in [-2, 2] and labels with a quarter of the pixels ignored (so N_all/N_valid is far from 1).</summary>
    private static Batch RandomBatch(int n, int h, int w, int classes, int seed)
    {
        var rng = new Random(seed);
        var images = new float[n * 3 * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 4 - 2);
        var labels = new long[n * h * w];
        // Blocks of one class, so the model has something to fit; a quarter ignored.
        for (int b = 0; b < n; b++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    labels[(b * h + y) * w + x] = y < h / 4 ? 255 : (x / 16 + y / 16 + b) % classes;
        return new Batch(seed, Enumerable.Range(0, n).Select(i => $"s{i}").ToArray(), images, labels, n, h, w);
    }
}
