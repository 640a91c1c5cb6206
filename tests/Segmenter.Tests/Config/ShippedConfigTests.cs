using Segmenter.Config;

namespace Segmenter.Tests.Config;

public class ShippedConfigTests
{
    public static TheoryData<string> ShippedConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestPaths.Configs, "*.yaml", SearchOption.AllDirectories).Order())
            data.Add(Path.GetRelativePath(TestPaths.Configs, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void EveryShippedConfigLoadsValidatesAndRoundTrips(string relative)
    {
        var config = ConfigLoader.Load(Path.Combine(TestPaths.Configs, relative));
        var yaml = ConfigWriter.ToYaml(config);
        var again = ConfigLoader.LoadText(yaml, "written.yaml");
        Assert.True(ConfigTestSupport.DeepEquals(config, again), $"{relative} changed through ConfigWriter:\n{yaml}");
        Assert.Equal(yaml, ConfigWriter.ToYaml(again));
    }

    [Fact]
    public void ThereAreShippedConfigs() => Assert.True(Directory.GetFiles(TestPaths.Configs, "*.yaml", SearchOption.AllDirectories).Length >= 9);

    [Fact]
    public void VocAugRecipeMatchesMmseg()
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512.yaml"));
        Assert.Equal(21, c.Model.NumClasses);
        Assert.Equal(50, c.Model.Backbone.Depth);
        Assert.Equal(8, c.Model.Backbone.OutputStride);
        Assert.True(c.Model.Backbone.ContractDilation);
        Assert.Equal("deeplabv3plus", c.Model.DecodeHead.Type);
        Assert.Equal(512, c.Model.DecodeHead.Channels);
        Assert.Equal([1, 12, 24, 36], c.Model.DecodeHead.Dilations);
        Assert.Equal(48, c.Model.DecodeHead.C1Channels);
        Assert.Equal(0.1, c.Model.DecodeHead.Dropout);
        Assert.Equal(2, c.Model.AuxHead!.InIndex);
        Assert.Equal(256, c.Model.AuxHead.Channels);
        Assert.Equal(0.4, c.Model.AuxHead.LossWeight);
        Assert.Equal("data/VOCdevkit/VOC2012", c.Data.Root);
        Assert.Equal(21, c.Data.ClassNames.Count);
        Assert.Equal("tvmonitor", c.Data.ClassNames[20]);
        Assert.Equal(2, c.Data.Train.Parts.Count);
        Assert.Equal("SegmentationClassAug", c.Data.Train.Parts[1].AnnDir);
        Assert.Equal("ImageSets/Segmentation/aug.txt", c.Data.Train.Parts[1].Split);
        Assert.Equal("ImageSets/Segmentation/val.txt", c.Data.Val.Parts.Single().Split);
        Assert.Equal([512, 512], c.Data.TrainPipeline.CropSize);
        Assert.Equal([2048, 512], c.Data.TrainPipeline.Scale);
        Assert.Equal([0.5, 2.0], c.Data.TrainPipeline.RatioRange);
        Assert.Equal(0.75, c.Data.TrainPipeline.CatMaxRatio);
        Assert.Equal(16, c.Data.BatchSize);
        Assert.Equal("sgd", c.Optimizer.Type);
        Assert.Equal(0.01, c.Optimizer.Lr);
        Assert.Equal(5e-4, c.Optimizer.WeightDecay);
        Assert.Equal(40000, c.Schedule.MaxIters);
        Assert.Equal(1e-4, c.Schedule.MinLr);
        Assert.Equal(4000, c.Train.ValInterval);
        Assert.Equal(50, c.Train.LogInterval);
        Assert.Equal("work_dirs/deeplabv3plus_r50-d8_voc12aug_512x512", c.Train.WorkDir);

        var c20 = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "deeplabv3plus_r50-d8_voc12aug_512x512_20k.yaml"));
        Assert.Equal(20000, c20.Schedule.MaxIters);
        Assert.Equal(2000, c20.Train.CheckpointInterval);
    }

    // Detectron2's R52-DC5 Cityscapes recipe (panoptic_deeplab_R_52_os16_mg124_poly_90k_bs32_crop_512_1024_dsconv.yaml):
    // DeepLabStem 128, res5 dilation 2 x multi-grid (1, 2, 4), crop 512x1024, batch 32, Adam 1e-3, WarmupPolyLR 90k.
    [Fact]
    public void PanopticDeepLabR52IsDetectron2sTrunkAndSchedule()
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "panoptic_deeplab_r52_cityscapes.yaml"));
        var b = c.Model.Backbone;
        Assert.Equal(("resnet", 50, true, 128, 16), (b.Type, b.Depth, b.DeepStem, b.StemChannels, b.OutputStride));
        Assert.Equal([2, 4, 8], b.MultiGrid);
        Assert.Equal([64, 32], c.Model.Panoptic.InstanceLowLevelChannelsProject);
        Assert.Equal(32, c.Model.Panoptic.InstanceHeadChannels);
        Assert.Equal(0.1, c.Model.Panoptic.AsppDropout);
        Assert.Equal([512, 1024], c.Data.TrainPipeline.CropSize);
        Assert.Equal(32, c.Data.BatchSize);
        Assert.Equal((0.001, 0.0), (c.Optimizer.Lr, c.Optimizer.WeightDecay));
        Assert.Equal((90000, 1000, 0.001, 0.9), (c.Schedule.MaxIters, c.Schedule.WarmupIters, c.Schedule.WarmupRatio, c.Schedule.Power));
        using var model = Segmenter.Models.ModelFactory.Create(c.Model, Segmenter.Models.ModelFactory.InputSizeOf(c));
        var sd = model.state_dict();
        Assert.Equal([128L, 64, 3, 3], sd["backbone.stem.6.weight"].shape);
        Assert.Equal([64L, 128, 1, 1], sd["backbone.layer1.0.conv1.weight"].shape);
    }

    [Fact]
    public void SmokeConfigIsTiny()
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_voc.yaml"));
        Assert.Equal("data/synth_voc/VOCdevkit/VOC2012", c.Data.Root);
        Assert.Equal(18, c.Model.Backbone.Depth);
        Assert.Equal(8, c.Model.Backbone.OutputStride);
        Assert.Equal(64, c.Model.DecodeHead.Channels);
        Assert.Equal([1, 6, 12, 18], c.Model.DecodeHead.Dilations);
        Assert.Equal(16, c.Model.DecodeHead.C1Channels);
        Assert.Equal(32, c.Model.AuxHead!.Channels);
        Assert.Equal([64, 64], c.Data.TrainPipeline.CropSize);
        Assert.Equal([96, 64], c.Data.TrainPipeline.Scale);
        Assert.Equal([0.75, 1.5], c.Data.TrainPipeline.RatioRange);
        Assert.False(c.Data.TrainPipeline.PhotoMetricDistortion);
        Assert.Null(c.Data.TestPipeline.Scale);
        Assert.Equal(8, c.Data.BatchSize);
        Assert.Equal("ImageSets/Segmentation/train.txt", c.Data.Train.Parts.Single().Split);
        Assert.Equal(300, c.Schedule.MaxIters);
        Assert.Equal(20, c.Schedule.WarmupIters);
        Assert.Equal(10, c.Train.LogInterval);
        Assert.Equal(100, c.Train.ValInterval);
        Assert.Equal(100, c.Train.CheckpointInterval);
        Assert.Equal("work_dirs/smoke_voc", c.Train.WorkDir);
    }
}
