using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Evaluation;
using Segmenter.Inference;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using Xunit.Abstractions;
using static Segmenter.Tests.Export.OnnxTestKit;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// `segment export --format onnx` then `segment predict --engine onnxruntime` as a user runs them: the class maps equal
/// the TorchSharp engine's (≥ 99.99 % of pixels); the panoptic engines give the same id maps and PQ on the synthetic
/// Cityscapes-panoptic smoke set. Random-weight models with random BatchNorm statistics, so the runs take seconds.
/// </summary>
[Collection("cli")]
public sealed class OnnxCliTests(ITestOutputHelper log)
{
    [Fact]
    public void SemanticPredictWithOnnxRuntimeMatchesTorchSharp()
    {
        var dir = TestPaths.NewTempDir("onnxcli");
        string[] overrides = [$"data.root={SynthData.VocRoot}", "model.backbone.attention.type=psa", "model.backbone.attention.layout=parallel"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        torch.manual_seed(5);
        var ckpt = Path.Combine(dir, "model.ckpt");
        using (var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg)))
        {
            RandomiseBatchNorms(model, 5);
            using var c = Checkpoint.Capture(1, model, null, ConfigWriter.ToYaml(cfg), Checkpoint.ArchitectureOf(cfg.Model));
            Checkpointer.Write(ckpt, c);
        }
        var images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        foreach (var f in Directory.GetFiles(Path.Combine(SynthData.VocRoot, "JPEGImages")).Order(StringComparer.Ordinal).Take(3))
            File.Copy(f, Path.Combine(images, Path.GetFileName(f)));

        // test.mode whole at the original size: the model must take any size.
        var onnx = Path.Combine(dir, "model.onnx");
        var (code, _, err) = CliRunner.Run("export", "--format", "onnx", "--checkpoint", ckpt, "--out", onnx, "--dynamic");
        Assert.True(code == 0, err);
        CheckWithOnnxChecker(onnx, log);

        string[] cfgArgs = ["--config", SynthData.SmokeConfig, "--cfg-options", .. overrides];
        (code, _, err) = CliRunner.Run(["predict", .. cfgArgs, "--checkpoint", ckpt, "--input", images, "--out", Path.Combine(dir, "torch")]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(["predict", .. cfgArgs, "--engine", "onnxruntime", "--model", onnx, "--input", images, "--out", Path.Combine(dir, "ort")]);
        Assert.True(code == 0, err);
        long same = 0, total = 0;
        foreach (var png in Directory.GetFiles(Path.Combine(dir, "torch"), "*.png").Where(p => !p.EndsWith("_color.png")))
        {
            var a = ImageIO.ReadLabel(png).Data;
            var b = ImageIO.ReadLabel(Path.Combine(dir, "ort", Path.GetFileName(png))).Data;
            Assert.Equal(a.Length, b.Length);
            same += a.Zip(b).Count(p => p.First == p.Second);
            total += a.Length;
        }
        Assert.True(total > 0);
        log.WriteLine($"class maps agree on {same} of {total} pixels");
        Assert.True(same >= 0.9999 * total, $"class maps agree on only {same} of {total} pixels");

        // A fixed-size export cannot take whole images of other sizes: one line naming the fix.
        var fixedOnnx = Path.Combine(dir, "fixed.onnx");
        (code, _, err) = CliRunner.Run("export", "--format", "onnx", "--checkpoint", ckpt, "--out", fixedOnnx, "--size", "32x32");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(["predict", .. cfgArgs, "--engine", "onnxruntime", "--model", fixedOnnx, "--input", images, "--out", Path.Combine(dir, "ort2")]);
        Assert.Equal(2, code);
        Assert.Contains("--dynamic", err);
        (code, _, err) = CliRunner.Run(["predict", .. cfgArgs, "--engine", "onnxruntime", "--input", images, "--out", Path.Combine(dir, "ort3")]);
        Assert.Equal(2, code);
        Assert.Contains("--model", err);
        (code, _, err) = CliRunner.Run("export", "--format", "onnx", "--checkpoint", ckpt, "--out", fixedOnnx, "--size", "32by32");
        Assert.Equal(2, code);
        Assert.Contains("--size", err);
    }

    [Fact]
    public void PanopticEnginesGiveTheSameIdMapsAndPq()
    {
        var dir = TestPaths.NewTempDir("onnxpan");
        var report = PanopticSynth.Generate(dir, "cityscapes-panoptic", count: 8, size: 64, seed: 3);
        var config = Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml");
        string[] overrides = [$"data.root={report.Root}", "data.test_pipeline.scale=null", "data.train_pipeline.crop_size=[64, 64]"];
        var cfg = ConfigLoader.Load(config, overrides);
        torch.manual_seed(7);
        var ckpt = Path.Combine(dir, "panoptic.ckpt");
        using (var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg)))
        {
            RandomiseConvs(model.Decoder, 7);
            RandomiseBatchNorms(model, 7);
            using var c = Checkpoint.Capture(1, model, null, ConfigWriter.ToYaml(cfg), Checkpoint.ArchitectureOf(cfg.Model));
            Checkpointer.Write(ckpt, c);
        }
        var onnx = Path.Combine(dir, "panoptic.onnx");
        var (code, _, err) = CliRunner.Run(["export", "--format", "onnx", "--checkpoint", ckpt, "--out", onnx, "--dynamic", "--config", config, "--cfg-options", .. overrides]);
        Assert.True(code == 0, err);
        CheckWithOnnxChecker(onnx, log);

        var dataset = Segmenter.Data.DatasetFactory.CreatePanoptic(cfg, train: false);
        var (torchModel, device) = ModelLoader.LoadPanoptic(cfg, ckpt);
        PanopticEvalResult expected;
        using (torchModel) expected = PanopticInference.Evaluate(torchModel, cfg, dataset, device, predictionDir: Path.Combine(dir, "torch"));
        PanopticEvalResult actual;
        using (var ort = new OnnxRuntimeModel(onnx))
            actual = PanopticInference.Evaluate(new OnnxPanopticModel(ort).Predict, OnnxSegmentor.RawPixelConfig(cfg), dataset, torch.CPU,
                predictionDir: Path.Combine(dir, "ort"));
        log.WriteLine($"{dataset.Count} images: PQ TorchSharp {expected.Panoptic.All.Pq:F6} / ONNX Runtime {actual.Panoptic.All.Pq:F6}, " +
            $"mIoU {expected.Semantic.MIoU:F6} / {actual.Semantic.MIoU:F6}");
        Assert.Equal(expected.Panoptic.All.Pq, actual.Panoptic.All.Pq, 9);
        Assert.Equal(expected.Panoptic.All.N, actual.Panoptic.All.N);
        Assert.Equal(expected.Semantic.MIoU, actual.Semantic.MIoU, 9);
        // Random weights give PQ 0 against the GT, so the id maps carry the comparison: they must hold segments and be identical
        // (identical id maps give equal PQ against any ground truth).
        var segments = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "torch", "panoptic_pred.json")))!["annotations"]!.AsArray()
            .Sum(a => a!["segments_info"]!.AsArray().Count);
        log.WriteLine($"TorchSharp predicted {segments} segments");
        Assert.True(segments > 0);
        foreach (var png in Directory.GetFiles(Path.Combine(dir, "torch", "panoptic_pred")))
            Assert.Equal(PanopticIdMap.ReadRgbPng(png).Ids, PanopticIdMap.ReadRgbPng(Path.Combine(dir, "ort", "panoptic_pred", Path.GetFileName(png))).Ids);

        // The CLI predict path of the onnxruntime engine writes the COCO panoptic files too.
        var images = Path.Combine(report.Root, "leftImg8bit", "val");
        (code, _, err) = CliRunner.Run(["predict", "--config", config, "--cfg-options", .. overrides, "--engine", "onnxruntime", "--model", onnx,
            "--input", Directory.GetDirectories(images)[0], "--out", Path.Combine(dir, "predict")]);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(dir, "predict", "panoptic.json")));
    }
}
