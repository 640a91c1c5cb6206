using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

public class PanopticDatasetTests
{
    private static string Coco => Path.Combine(TestPaths.Datasets, "coco");
    private static string Cityscapes => Path.Combine(TestPaths.Datasets, "cityscapes");

    [Theory]
    [InlineData("train2017", new[] { "9", "25" })]
    [InlineData("val2017", new[] { "139", "285" })]
    public void CocoPanopticReadsImagesAndSegments(string split, string[] ids)
    {
        var ds = new PanopticDataset("coco_panoptic", Coco, [new PartConfig { Split = split }]);
        Assert.Equal(ids, Enumerable.Range(0, ds.Count).Select(ds.IdAt).ToArray());
        Assert.Equal(133, ds.Classes.NumClasses);
        Assert.Equal(80, ds.Classes.ThingClasses.Count());
        Assert.Equal(0, ds.Classes.ClassOf(1));        // person
        Assert.Equal(80, ds.Classes.ClassOf(92));      // first stuff category (banner)
        for (int i = 0; i < ds.Count; i++)
        {
            var s = ds.LoadPanoptic(i);
            Assert.Equal(s.Image.Width, s.Gt.Width);
            Assert.Equal(s.Image.Height, s.Gt.Height);
            // Every listed segment's recounted area equals its json area.
            var json = ds.Items[i].Segments.ToDictionary(x => x.Id, x => x.Area);
            foreach (var seg in s.Gt.ToSegments()) Assert.Equal(json[seg.Id], seg.Area);
            var label = ds.Load(i).Label;
            Assert.Contains(label.Data, v => v == 255);   // 1-px VOID gaps around things
            Assert.All(label.Data, v => Assert.True(v == 255 || v < 133));
        }
        var crowd = ds.Items.SelectMany(x => x.Segments).Where(x => x.IsCrowd).ToList();
        Assert.Equal(split == "val2017" ? 1 : 0, crowd.Count);
    }

    [Theory]
    [InlineData("train", "aachen")]
    [InlineData("val", "frankfurt")]
    public void CityscapesSemanticViewEqualsLabelTrainIds(string split, string city)
    {
        var ds = new PanopticDataset("cityscapes_panoptic", Cityscapes, [new PartConfig { Split = split }]);
        Assert.Equal(2, ds.Count);
        Assert.Equal(19, ds.Classes.NumClasses);
        Assert.Equal(Enumerable.Range(11, 8), ds.Classes.ThingClasses);
        for (int i = 0; i < ds.Count; i++)
        {
            var label = ds.Load(i).Label;
            var trainIds = ImageIO.ReadLabel(Path.Combine(Cityscapes, "gtFine", split, city, $"{ds.IdAt(i)}_gtFine_labelTrainIds.png"));
            Assert.Equal(trainIds.Data, label.Data);
        }
    }

    [Fact]
    public void FactoryBuildsPanopticDatasetsAndRejectsBadSplits()
    {
        var cfg = new DataConfig
        {
            Type = "cityscapes_panoptic", Root = Cityscapes,
            Train = new SplitConfig { Parts = [new PartConfig { Split = "train" }] },
            Val = new SplitConfig { Parts = [new PartConfig { Split = "val" }] },
        };
        Assert.IsType<PanopticDataset>(DatasetFactory.Create(cfg, train: false));
        var bad = cfg with { Val = new SplitConfig { Parts = [new PartConfig { Split = "test" }] } };
        var e = Assert.Throws<SegmenterException>(() => DatasetFactory.Create(bad, train: false));
        Assert.Contains("cityscapes_panoptic_test.json", e.Message);
    }
}
