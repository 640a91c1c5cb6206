using Segmenter.Config;
using Segmenter.Data.Synth;
using Segmenter.Inference;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Segmenter.Tests.Inference;

/// <summary>
/// The embeddable API (issue #17): a model loaded once predicts from a file, bytes, pixels or a tensor with the same
/// result as `segment predict`'s code, from concurrent callers, for semantic and panoptic models.
/// </summary>
public class SegmentationModelTests
{
    private static string SaveRandomWeights(ExperimentConfig cfg, string name)
    {
        torch.manual_seed(5);
        using var model = cfg.Model.Type == "panoptic_deeplab"
            ? (nn.Module)ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg))
            : ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var path = Path.Combine(TestPaths.NewTempDir("api_weights"), name);
        SafeTensors.Save(path, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    private static string[] VocImages(int n) =>
        Directory.EnumerateFiles(Path.Combine(SynthData.VocRoot, "JPEGImages")).Order(StringComparer.Ordinal).Take(n).ToArray();

    [Fact]
    public void EveryInputFormGivesThePredictCommandsMaps()
    {
        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        var weights = SaveRandomWeights(cfg, "voc.safetensors");
        var image = VocImages(1)[0];

        // What `segment predict` writes for the same weights.
        var outDir = TestPaths.NewTempDir("api_predict");
        var (cliModel, device) = ModelLoader.Load(cfg, weights);
        using (cliModel) Predictor.Run(cliModel, cfg, image, outDir, device);
        var expected = ImageIO.ReadLabel(Path.Combine(outDir, Path.GetFileNameWithoutExtension(image) + ".png"));

        using var model = SegmentationModel.Load(SynthData.SmokeConfig, weights, new SegmentationModelOptions { ConfigOverrides = overrides });
        Assert.False(model.IsPanoptic);
        Assert.Equal(21, model.NumClasses);
        var fromFile = model.Predict(image);
        Assert.Equal((expected.Width, expected.Height), (fromFile.Width, fromFile.Height));
        Assert.Equal(expected.Data, fromFile.ClassMap);
        Assert.Equal(fromFile.ClassMap, model.Predict(File.ReadAllBytes(image)).ClassMap);
        var pixels = ImageIO.ReadRgb(image);
        Assert.Equal(fromFile.ClassMap, model.Predict(pixels).ClassMap);
        using var hwc = tensor(pixels.Data, [pixels.Height, pixels.Width, 3]);
        Assert.Equal(fromFile.ClassMap, model.Predict(hwc).ClassMap);
        using var chw = hwc.permute(2, 0, 1).to_type(ScalarType.Float32);
        Assert.Equal(fromFile.ClassMap, model.Predict(chw).ClassMap);
        Assert.Null(fromFile.Segments);
    }

    [Fact]
    public void ConcurrentCallersGetTheSequentialResults()
    {
        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        var weights = SaveRandomWeights(cfg, "voc.safetensors");
        var images = VocImages(4);
        using var model = SegmentationModel.Load(SynthData.SmokeConfig, weights,
            new SegmentationModelOptions { ConfigOverrides = overrides, MaxConcurrency = 2 });
        var sequential = images.Select(i => model.Predict(i).ClassMap).ToArray();
        var concurrent = new byte[images.Length * 3][];
        System.Threading.Tasks.Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 },
            k => concurrent[k] = model.Predict(images[k % images.Length]).ClassMap);
        for (int k = 0; k < concurrent.Length; k++) Assert.Equal(sequential[k % images.Length], concurrent[k]);
    }

    [Fact]
    public void SlidingWindowAndTtaAreOptions()
    {
        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var options = new SegmentationModelOptions { ConfigOverrides = overrides, SlideCrop = (48, 48), Tta = true };
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, options.ToOverrides());
        Assert.Equal("slide", cfg.Test.Mode);
        Assert.Equal([48, 48], cfg.Test.CropSize);
        Assert.Equal([32, 32], cfg.Test.Stride);
        Assert.True(cfg.Test.Flip);
        var weights = SaveRandomWeights(cfg, "voc.safetensors");
        using var model = SegmentationModel.Load(SynthData.SmokeConfig, weights, options);
        var result = model.Predict(VocImages(1)[0]);
        Assert.Equal(result.Width * result.Height, result.ClassMap.Length);
        Assert.All(result.ClassMap, c => Assert.InRange(c, 0, 20));
    }

    [Fact]
    public void PanopticModelsReturnSegments()
    {
        var root = PanopticSynth.Generate(TestPaths.NewTempDir("api_panoptic"), "cityscapes-panoptic", count: 2, size: 64, seed: 3).Root;
        var config = Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml");
        List<string> overrides = [$"data.root={root}"];
        var cfg = ConfigLoader.Load(config, overrides);
        var weights = SaveRandomWeights(cfg, "panoptic.safetensors");
        using var model = SegmentationModel.Load(config, weights, new SegmentationModelOptions { ConfigOverrides = overrides });
        Assert.True(model.IsPanoptic);
        var image = Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories).First(f => f.Contains("leftImg8bit"));
        var result = model.Predict(image);
        Assert.NotNull(result.SegmentIds);
        Assert.NotNull(result.Segments);
        Assert.Equal(result.Width * result.Height, result.SegmentIds!.Length);
        // Every segment's area is its pixel count in the id map; its category is one of the model's classes.
        foreach (var s in result.Segments!)
        {
            Assert.Equal(s.Area, result.SegmentIds.Count(id => id == s.Id));
            Assert.Contains(s.CategoryName, model.ClassNames);
        }
    }

    [Fact]
    public void OnnxModelGivesTheTorchSharpMaps()
    {
        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        var weights = SaveRandomWeights(cfg, "voc.safetensors");
        var onnx = Path.Combine(Path.GetDirectoryName(weights)!, "voc.onnx");
        Segmenter.Export.OnnxCheckpointExport.Run(cfg, weights, onnx, null, dynamic: true);
        var options = new SegmentationModelOptions { ConfigOverrides = overrides };
        using var torchModel = SegmentationModel.Load(SynthData.SmokeConfig, weights, options);
        using var onnxModel = SegmentationModel.LoadOnnx(SynthData.SmokeConfig, onnx, options);
        Assert.Equal(torchModel.ClassNames, onnxModel.ClassNames);
        long same = 0, total = 0;
        foreach (var image in VocImages(3))
        {
            var a = torchModel.Predict(image).ClassMap;
            var b = onnxModel.Predict(File.ReadAllBytes(image)).ClassMap;
            same += a.Zip(b).Count(p => p.First == p.Second);
            total += a.Length;
        }
        Assert.True(same >= 0.9999 * total, $"{same} of {total} pixels agree");
    }

    [Fact]
    public void BadTensorIsOneLine()
    {
        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        using var model = SegmentationModel.Load(SynthData.SmokeConfig, SaveRandomWeights(cfg, "voc.safetensors"),
            new SegmentationModelOptions { ConfigOverrides = overrides });
        using var bad = zeros(2, 5, 5);
        var e = Assert.Throws<SegmenterException>(() => model.Predict(bad));
        Assert.Contains("[H, W, 3]", e.Message);
    }

    /// <summary>A config file that inherits the smoke config and sets data.max_image_pixels (the key, in the file).</summary>
    private static string ConfigWithPixelLimit(long maxImagePixels)
    {
        var path = Path.Combine(TestPaths.NewTempDir("api_limit"), $"limit_{maxImagePixels}.yaml");
        File.WriteAllText(path, $"_base_: {SynthData.SmokeConfig}\ndata:\n  root: {SynthData.VocRoot}\n  max_image_pixels: {maxImagePixels}\n");
        return path;
    }

    [Fact]
    public void ConfigPixelLimitRefusesALargeImageWithoutTheCli()
    {
        // The embedding API reads data.max_image_pixels from its config: no CLI verb runs, nothing process-wide is set.
        var configPath = ConfigWithPixelLimit(100); // refused above 200 pixels
        var weights = SaveRandomWeights(ConfigLoader.Load(configPath), "voc.safetensors");
        var image = VocImages(1)[0];
        using var model = SegmentationModel.Load(configPath, weights);
        Assert.Equal(100, model.Config.Data.MaxImagePixels);

        var e = Assert.Throws<SegmenterException>(() => model.Predict(image));
        Assert.Contains(image, e.Message);
        Assert.Contains("data.max_image_pixels", e.Message);
        Assert.Contains("decompression bomb", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var fromBytes = Assert.Throws<SegmenterException>(() => model.Predict(File.ReadAllBytes(image)));
        Assert.Contains("data.max_image_pixels", fromBytes.Message);
    }

    [Fact]
    public void TwoModelsInOneProcessEachKeepTheirConfigsPixelLimit()
    {
        var strictPath = ConfigWithPixelLimit(100);
        var weights = SaveRandomWeights(ConfigLoader.Load(strictPath), "voc.safetensors");
        var image = VocImages(1)[0];
        using var strict = SegmentationModel.Load(strictPath, weights);
        using var lenient = SegmentationModel.Load(ConfigWithPixelLimit(ImageLimits.DefaultMaxPixels), weights);
        // Loading the lenient model after the strict one changes nothing for the strict one, and the other way round;
        // interleaved from several threads, each call gets its own model's limit.
        var outcomes = new bool[8];
        System.Threading.Tasks.Parallel.For(0, outcomes.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var model = k % 2 == 0 ? strict : lenient;
            try { model.Predict(image); outcomes[k] = true; }
            catch (SegmenterException e) when (e.Message.Contains("data.max_image_pixels")) { outcomes[k] = false; }
        });
        for (int k = 0; k < outcomes.Length; k++) Assert.Equal(k % 2 != 0, outcomes[k]);
    }
}
