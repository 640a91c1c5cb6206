using Segmenter.Config;
using static Segmenter.Tests.Config.ConfigTestSupport;

namespace Segmenter.Tests.Config;

public class ConfigOverrideTests
{
    [Fact]
    public void ValuesAreParsedAsTypedYaml()
    {
        var cfg = ConfigLoader.LoadText("model:\n  aux_head: null\n", "test.yaml",
        [
            "model.num_classes=3",
            "optimizer.lr=0.1",
            "model.backbone.deep_stem=true",
            "model.decode_head.dilations=[1,2]",
            "data.mean=[1, 2.5, 3]",
            "model.backbone.pretrained=abc",
            "data.test_pipeline.scale=null",
            "model.aux_head.channels=8",             // a map under a null section starts from the record default
            "data.train.parts.0.split=ImageSets/Segmentation/trainaug.txt",
            "train.work_dir='123'",
            "optimizer.lookahead={k: 3}",
            "schedule.max_iters=4e4",
        ]);
        Assert.Equal(3, cfg.Model.NumClasses);
        Assert.Equal(0.1, cfg.Optimizer.Lr);
        Assert.True(cfg.Model.Backbone.DeepStem);
        Assert.Equal([1, 2], cfg.Model.DecodeHead.Dilations);
        Assert.Equal([1, 2.5, 3], cfg.Data.Mean);
        Assert.Equal("abc", cfg.Model.Backbone.Pretrained);
        Assert.Null(cfg.Data.TestPipeline.Scale);
        Assert.Equal(8, cfg.Model.AuxHead!.Channels);
        Assert.Equal(new AuxHeadConfig().InIndex, cfg.Model.AuxHead.InIndex);
        Assert.Equal("ImageSets/Segmentation/trainaug.txt", cfg.Data.Train.Parts[0].Split);
        Assert.Equal("SegmentationClass", cfg.Data.Train.Parts[0].AnnDir);
        Assert.Equal("123", cfg.Train.WorkDir);
        Assert.Equal(3, cfg.Optimizer.Lookahead!.K);
        Assert.Equal(0.5, cfg.Optimizer.Lookahead.Alpha);
        Assert.Equal(40000, cfg.Schedule.MaxIters);
    }

    [Fact]
    public void OverridesWinOverFilesAndBases()
    {
        var dir = WriteTree(("base.yaml", "optimizer:\n  lr: 0.5\n"), ("c.yaml", "_base_: base.yaml\noptimizer:\n  lr: 0.25\n"));
        var cfg = ConfigLoader.Load(Path.Combine(dir, "c.yaml"), ["optimizer.lr=0.125", "model.aux_head=null"]);
        Assert.Equal(0.125, cfg.Optimizer.Lr);
        Assert.Null(cfg.Model.AuxHead);
    }

    [Theory]
    [InlineData("optimizer.lr", "missing '='")]
    [InlineData("=3", "empty key")]
    [InlineData("model..num_classes=3", "empty part")]
    [InlineData("model.decode_head.chanels=3", "unknown key 'model.decode_head.chanels' (did you mean 'channels'?)")]
    [InlineData("optimiser.lr=3", "unknown key 'optimiser' (did you mean 'optimizer'?)")]
    [InlineData("model.num_classes=abc", "'model.num_classes' expects an integer, got 'abc'")]
    [InlineData("model.decode_head.dilations=[1,2", "malformed YAML")]
    [InlineData("data.train.parts.3.split=x", "not an item of 'data.train.parts'")]
    [InlineData("model.num_classes.x=1", "not a mapping")]
    public void BadOptionsNameTheOption(string option, string expected)
    {
        var message = LoadError("", option);
        Assert.Contains(expected, message);
        Assert.Contains($"--cfg-options '{option}'", message);
        Assert.Contains("fix:", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void SizePairsReadAsTwoItemListsAndRoundTrip()
    {
        var cfg = ConfigLoader.LoadText("data:\n  train_pipeline:\n    crop_size: [256, 384]\n", "test.yaml",
            ["test.stride.1=100", "test.crop_size=[300, 200]"]);
        Assert.Equal(new SizePair(256, 384), cfg.Data.TrainPipeline.CropSize);
        Assert.Equal((256, 384), ((int, int))cfg.Data.TrainPipeline.CropSize);
        Assert.Equal(new SizePair(341, 100), cfg.Test.Stride);
        Assert.Equal(new SizePair(300, 200), cfg.Test.CropSize);
        var yaml = ConfigWriter.ToYaml(cfg);
        Assert.Contains("crop_size: [256, 384]", yaml);
        Assert.Contains("stride: [341, 100]", yaml);
        Assert.Equal(cfg.Data.TrainPipeline.CropSize, ConfigLoader.LoadText(yaml, "written.yaml").Data.TrainPipeline.CropSize);

        var third = LoadError("", "test.stride.2=1");
        Assert.Contains("'2' is not an item of 'test.stride'", third);
    }
}
