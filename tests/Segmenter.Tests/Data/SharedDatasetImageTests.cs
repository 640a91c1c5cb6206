using Segmenter.Config;
using Segmenter.Data;

namespace Segmenter.Tests.Data;

/// <summary>
/// Tests that decode the shared VOC JPEGs through ImageIO.ReadRgb (implemented on another branch): they fail with
/// NotImplementedException until that lands, and pass once it does.
/// </summary>
public class SharedDatasetImageTests
{
    private static readonly PartConfig VocTrain = new() { Split = "ImageSets/Segmentation/train.txt" };
    private static readonly PartConfig VocAug = new() { AnnDir = "SegmentationClassAug", Split = "ImageSets/Segmentation/aug.txt" };

    [Fact]
    public void VocSamplesDecodeWithMatchingSizes()
    {
        var ds = new VocDataset(DataTestKit.SharedVoc, [VocTrain, VocAug], numClasses: 21);
        for (int i = 0; i < ds.Count; i++)
        {
            var s = ds.Load(i);
            Assert.Equal((s.Image.Width, s.Image.Height), (s.Label.Width, s.Label.Height));
            Assert.All(s.Label.Data, v => Assert.True(v <= 20 || v == 255));
        }
    }

    [Fact]
    public void VocDataCheckIsClean()
    {
        var cfg = new DataConfig { Root = DataTestKit.SharedVoc };
        foreach (var train in new[] { true, false })
        {
            var report = DataChecker.Check(cfg, 21, train);
            Assert.True(report.Ok, report.Format());
            Assert.True(report.PixelsPerClass[0] > 0);
        }
    }

    [Fact]
    public void VocTrainLoaderProducesCropBatches()
    {
        var cfg = new DataConfig { Root = DataTestKit.SharedVoc, Train = new SplitConfig { Parts = [VocTrain, VocAug] } };
        cfg = DataTestKit.SmallPipeline(cfg, crop: 48);
        var ds = DatasetFactory.Create(cfg, true, 21);
        var loader = new BatchLoader(ds, new TrainTransform(cfg.TrainPipeline, cfg), 4, seed: 0, numWorkers: 2, prefetch: 2);
        var batches = loader.Iterate(0).Take(3).ToList();
        Assert.All(batches, b => Assert.Equal((4, 48, 48), (b.N, b.Height, b.Width)));
        var again = loader.Iterate(2).First();
        Assert.Equal(batches[2].Images, again.Images);
    }

    [Fact]
    public void VocEvalLoaderKeepsOriginalSize()
    {
        var cfg = DataTestKit.SmallPipeline(new DataConfig { Root = DataTestKit.SharedVoc });
        var ds = DatasetFactory.Create(cfg, false, 21);
        var items = new EvalLoader(ds, new TestTransform(cfg), 2, 2).Iterate().ToList();
        Assert.Equal(ds.Count, items.Count);
        Assert.All(items, s => Assert.Equal(s.OrigHeight * s.OrigWidth, s.Label.Length));
    }
}
