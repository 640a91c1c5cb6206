using Segmenter.Config;
using Segmenter.Inference;
using Segmenter.IO;
using Segmenter.Tests.EndToEnd;

namespace Segmenter.Tests.EndToEnd;

/// <summary>The CLI surface of the ISA/Cityscapes work: synth, convert, config recipes, --tta, --label-ids, bench --compare-heads.</summary>
[Collection("cli")]
public sealed class IsaCliTests
{
    [Fact]
    public void SynthThenConvertWritesLabelTrainIds()
    {
        var dir = TestPaths.NewTempDir("cs_cli");
        var (code, _, err) = CliRunner.Run("data", "synth", "--format", "cityscapes", "--out", dir, "--count", "4", "--size", "32");
        Assert.True(code == 0, err);
        var root = Path.Combine(dir, "cityscapes");
        Assert.Empty(Directory.GetFiles(root, "*_labelTrainIds.png", SearchOption.AllDirectories));
        (code, _, err) = CliRunner.Run("data", "convert", "cityscapes", "--root", root);
        Assert.True(code == 0, err);
        Assert.Equal(4, Directory.GetFiles(root, "*_gtFine_labelTrainIds.png", SearchOption.AllDirectories).Length);
        (code, _, err) = CliRunner.Run("data", "convert", "cityscapes", "--root", dir);
        Assert.Equal(2, code);
        Assert.Contains("gtFine", err);
    }

    [Fact]
    public void CityscapesRecipesMatchMmseg()
    {
        foreach (var (file, head) in new[] { ("isanet_r50-d8_cityscapes_769x769.yaml", "isa"), ("deeplabv3plus_r50-d8_cityscapes_769x769.yaml", "deeplabv3plus") })
        {
            var c = ConfigLoader.Load(Path.Combine(TestPaths.Configs, file));
            Assert.Equal(head, c.Model.DecodeHead.Type);
            Assert.Equal(19, c.Model.NumClasses);
            Assert.Equal(50, c.Model.Backbone.Depth);
            Assert.Equal(8, c.Model.Backbone.OutputStride);
            Assert.True(c.Model.Backbone.ContractDilation);
            Assert.True(c.Model.DecodeHead.AlignCorners);
            Assert.Equal(0.4, c.Model.AuxHead!.LossWeight);
            Assert.Equal("cityscapes", c.Data.Type);
            Assert.Equal("train", c.Data.Train.Parts.Single().Split);
            Assert.Equal("val", c.Data.Val.Parts.Single().Split);
            Assert.Equal([769, 769], c.Data.TrainPipeline.CropSize);
            Assert.Equal([2048, 1024], c.Data.TrainPipeline.Scale);
            Assert.Equal([2048, 1024], c.Data.TestPipeline.Scale);
            Assert.Equal(8, c.Data.BatchSize);
            Assert.Equal("traffic light", Segmenter.Data.ClassNames.For(c)[6]);
            Assert.Equal((250, 170, 30), ((int, int, int))Segmenter.Data.Palettes.For(c.Data, 19)[6]);
            Assert.Equal("sgd", c.Optimizer.Type);
            Assert.Equal(0.01, c.Optimizer.Lr);
            Assert.Equal(40000, c.Schedule.MaxIters);
            Assert.Equal("slide", c.Test.Mode);
            Assert.Equal([769, 769], c.Test.CropSize);
            Assert.Equal([513, 513], c.Test.Stride);
        }
        var isa = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "isanet_r50-d8_cityscapes_769x769.yaml")).Model.DecodeHead;
        Assert.Equal((512, 256, 3), (isa.Channels, isa.IsaChannels, isa.InIndex));
        Assert.Equal([8, 8], isa.DownFactor);
        var isa80 = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "isanet_r50-d8_cityscapes_769x769_80k.yaml"));
        Assert.Equal(80000, isa80.Schedule.MaxIters);
        Assert.Equal(8000, isa80.Train.ValInterval);
        Assert.True(isa80.Model.DecodeHead.AlignCorners);
    }

    [Fact]
    public void PredictWithTtaAndLabelIds()
    {
        var work = TestPaths.NewTempDir("isa_predict");
        var cfgPath = Path.Combine(TestPaths.Configs, "smoke_cityscapes_isa.yaml");
        var root = IsaSmokeTrainingTests.CityscapesRoot;
        string[] common = ["--cfg-options", $"data.root={root}", "data.num_workers=0"];
        var (code, _, err) = CliRunner.Run(["train", "--config", cfgPath, "--work-dir", work, "--stop-at", "1", .. common]);
        Assert.True(code == 0, err);
        var ckpt = Directory.GetFiles(work, "*.ckpt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).Last();
        // one image: --tta runs 12 passes (6 scales x flip)
        var input = Directory.GetFiles(Path.Combine(root, "leftImg8bit", "val", "frankfurt")).Order(StringComparer.Ordinal).First();
        var outDir = Path.Combine(work, "pred");
        (code, _, err) = CliRunner.Run(["predict", "--config", cfgPath, "--checkpoint", ckpt, "--input", input, "--out", outDir, "--tta", "--label-ids", .. common]);
        Assert.True(code == 0, err);
        foreach (var stem in new[] { Path.GetFileNameWithoutExtension(input) })
        {
            var train = ImageIO.ReadLabel(Path.Combine(outDir, stem + ".png"));
            var ids = ImageIO.ReadLabel(Path.Combine(outDir, Predictor.LabelIdsFolder, stem + ".png"));
            Assert.Equal(Segmenter.Data.CityscapesLabels.ToLabelIds(train).Data, ids.Data);
            Assert.All(ids.Data, v => Assert.True(v >= 7 && v <= 33, $"labelId {v}"));
        }
        (code, _, err) = CliRunner.Run(["eval", "--config", cfgPath, "--checkpoint", ckpt, .. common, "test.flip=true"]);
        Assert.True(code == 0, err);
    }

    [Fact]
    public void BenchComparesHeadsWithoutAConfig()
    {
        var (code, output, err) = CliRunner.Run("bench", "--compare-heads", "isa,nonlocal", "--sizes", "48x48", "--in-channels", "16",
            "--channels", "8", "--key-channels", "4", "--iters", "1", "--warmup", "0");
        Assert.True(code == 0, err);
        Assert.Contains("nonlocal", output);
        Assert.Contains("6x6", output);
        (code, _, err) = CliRunner.Run("bench", "--compare-heads", "isa,psa");
        Assert.Equal(2, code);
        Assert.Contains("--compare-heads", err);
    }
}
