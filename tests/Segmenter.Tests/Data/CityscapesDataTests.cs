using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// Cityscapes loading against the shared set made by the official cityscapesScripts converters: our labelId → trainId
/// mapping must reproduce every shipped *_labelTrainIds.png exactly; instanceIds and color PNGs must agree with labelIds.
/// </summary>
public class CityscapesDataTests
{
    private static string Root => Path.Combine(TestPaths.Datasets, "cityscapes");

    public static TheoryData<string> LabelIdFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "gtFine"), "*_gtFine_labelIds.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(Root, f));
        return data;
    }

    [Fact]
    public void TheSharedSetHasLabelIdFiles() => Assert.True(LabelIdFiles().Count >= 4);

    [Theory]
    [MemberData(nameof(LabelIdFiles))]
    public void OurTrainIdsEqualTheOfficialLabelTrainIds(string relative)
    {
        var labelIds = ImageIO.ReadLabel(Path.Combine(Root, relative));
        var official = ImageIO.ReadLabel(Path.Combine(Root, relative.Replace("_labelIds.png", "_labelTrainIds.png")));
        var ours = CityscapesLabels.ToTrainIds(labelIds);
        Assert.Equal((official.Width, official.Height), (ours.Width, ours.Height));
        Assert.Equal(official.Data, ours.Data);
        Assert.All(ours.Data, v => Assert.True(v < 19 || v == 255, $"value {v}"));
    }

    [Theory]
    [MemberData(nameof(LabelIdFiles))]
    public void InstanceIdsAndColorAgreeWithLabelIds(string relative)
    {
        var labelIds = ImageIO.ReadLabel(Path.Combine(Root, relative));
        var (w, h, ids) = ImageIO.ReadIdMap(Path.Combine(Root, relative.Replace("_labelIds.png", "_instanceIds.png")));
        Assert.Equal((labelIds.Width, labelIds.Height), (w, h));
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(labelIds.Data[i], CityscapesLabels.LabelIdOfInstanceId(ids[i]));
        Assert.Contains(ids, v => v >= 1000); // there are instances (person/car) in every shared image
        var color = ImageIO.ReadRgb(Path.Combine(Root, relative.Replace("_labelIds.png", "_color.png")));
        Assert.Equal(color.Data, CityscapesLabels.Colorize(labelIds).Data);
    }

    [Fact]
    public void MappingTablesMatchLabelsPy()
    {
        Assert.Equal(0, CityscapesLabels.TrainId(7));      // road
        Assert.Equal(10, CityscapesLabels.TrainId(23));    // sky
        Assert.Equal(18, CityscapesLabels.TrainId(33));    // bicycle
        Assert.Equal(255, CityscapesLabels.TrainId(1));    // ego vehicle
        Assert.Equal(255, CityscapesLabels.TrainId(29));   // caravan (ignoreInEval)
        Assert.Equal(255, CityscapesLabels.TrainId(34));
        Assert.Equal(19, Enumerable.Range(0, 34).Count(id => CityscapesLabels.TrainId(id) != 255));
        for (int t = 0; t < 19; t++) Assert.Equal(t, CityscapesLabels.TrainId(CityscapesLabels.LabelId(t)));
        Assert.Equal(0, CityscapesLabels.LabelId(255));
        Assert.Equal(Palettes.Cityscapes(), Enumerable.Range(0, 19).Select(t => CityscapesLabels.LabelIdColors[CityscapesLabels.LabelId(t)]).ToArray());
    }

    [Fact]
    public void DatasetReadsLabelTrainIdsDirectly()
    {
        var ds = new CityscapesDataset(Root, "train", numClasses: 19);
        Assert.Equal(["aachen_000000_000019", "aachen_000000_000020"], Enumerable.Range(0, ds.Count).Select(ds.IdAt));
        Assert.All(ds.Items, i => Assert.Equal(LabelEncoding.Index, i.Encoding));
        Assert.All(ds.Items, i => Assert.EndsWith("_gtFine_labelTrainIds.png", i.LabelPath));
        var s = ds.Load(0);
        Assert.Equal(ImageIO.ReadLabel(ds.Items[0].LabelPath).Data, s.Label.Data);
        Assert.Equal((96, 48), (s.Image.Width, s.Image.Height));
    }

    [Fact]
    public void WithoutLabelTrainIdsTheDatasetMapsLabelIdsAndConvertWritesTheOfficialFiles()
    {
        var copy = CopyWithoutTrainIds();
        var ds = new CityscapesDataset(copy, "val", numClasses: 19);
        Assert.Equal(2, ds.Count);
        Assert.All(ds.Items, i => Assert.Equal(LabelEncoding.CityscapesLabelIds, i.Encoding));
        var official = new CityscapesDataset(Root, "val", numClasses: 19);
        for (int i = 0; i < ds.Count; i++) Assert.Equal(official.Load(i).Label.Data, ds.Load(i).Label.Data);

        var result = CityscapesConverter.Convert(copy);
        Assert.Equal(4, result.Written);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "gtFine"), "*_labelTrainIds.png", SearchOption.AllDirectories))
        {
            var ours = ImageIO.ReadLabel(Path.Combine(copy, Path.GetRelativePath(Root, f)));
            Assert.Equal(ImageIO.ReadLabel(f).Data, ours.Data);
        }
        var after = new CityscapesDataset(copy, "val", numClasses: 19);
        Assert.All(after.Items, i => Assert.Equal(LabelEncoding.Index, i.Encoding));
        Assert.Equal(0, CityscapesConverter.Convert(copy, overwrite: false).Written);
    }

    [Fact]
    public void FactoryAndCheckerUseTheCityscapesLayout()
    {
        var cfg = new DataConfig
        {
            Type = "cityscapes", Root = Root,
            Train = new SplitConfig { Parts = [new PartConfig { Split = "train" }] },
            Val = new SplitConfig { Parts = [new PartConfig { Split = "val" }] },
        };
        Assert.IsType<CityscapesDataset>(DatasetFactory.Create(cfg, train: true, numClasses: 19));
        Assert.Equal("frankfurt_000000_000021", DatasetFactory.Create(cfg, train: false, numClasses: 19).IdAt(0));
        var report = DataChecker.Check(cfg, 19, train: false);
        Assert.Empty(report.Problems);
        Assert.Equal(2, report.Checked);
        Assert.True(report.IgnoredPixels > 0);
    }

    [Fact]
    public void MissingSplitFolderAndMissingSplitNameAreOneLineErrors()
    {
        var e = Assert.Throws<SegmenterException>(() => new CityscapesDataset(Root, "test"));
        Assert.Contains("leftImg8bit", e.Message);
        var e2 = Assert.Throws<SegmenterException>(() => new CityscapesDataset(Root, [new PartConfig()]));
        Assert.Contains("split", e2.Message);
    }

    [Fact]
    public void SynthWritesTheOfficialLayoutDeterministically()
    {
        var a = TestPaths.NewTempDir("cs_synth");
        var b = TestPaths.NewTempDir("cs_synth");
        var report = CityscapesSynth.Generate(a, count: 8, height: 32, seed: 3);
        CityscapesSynth.Generate(b, count: 8, height: 32, seed: 3);
        Assert.Equal(6, report.TrainStems.Count);
        Assert.Equal(2, report.ValStems.Count);
        var files = Directory.EnumerateFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(24, files.Count);
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
        Assert.Contains(Path.Combine("cityscapes", "leftImg8bit", "train", "aachen", "aachen_000000_000019_leftImg8bit.png"), files);
        Assert.Contains(Path.Combine("cityscapes", "gtFine", "val", "frankfurt", "frankfurt_000000_000025_gtFine_labelIds.png"), files);
        // real labelIds, including void ids that map to 255
        Assert.Contains(1, report.PixelsPerLabelId.Keys);
        Assert.Contains(26, report.PixelsPerLabelId.Keys);
        Assert.All(report.PixelsPerLabelId.Keys, id => Assert.True(id <= CityscapesLabels.MaxLabelId));

        var ds = new CityscapesDataset(report.Root, "train", numClasses: 19);
        Assert.Equal(6, ds.Count);
        var s = ds.Load(0);
        Assert.Equal((64, 32), (s.Image.Width, s.Image.Height));
        Assert.Contains((byte)255, s.Label.Data);
        Assert.Contains((byte)13, s.Label.Data); // car
    }

    private static string CopyWithoutTrainIds()
    {
        var dst = Path.Combine(TestPaths.NewTempDir("cs_copy"), "cityscapes");
        foreach (var f in Directory.EnumerateFiles(Root, "*.png", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(Root, f);
            if (rel.EndsWith("_labelTrainIds.png", StringComparison.Ordinal) || rel.Contains("panoptic")) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dst, rel))!);
            File.Copy(f, Path.Combine(dst, rel));
        }
        return dst;
    }
}
