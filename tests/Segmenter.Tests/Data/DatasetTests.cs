using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

public class DatasetTests
{
    private static readonly PartConfig VocTrain = new() { Split = "ImageSets/Segmentation/train.txt" };
    private static readonly PartConfig VocAug = new() { AnnDir = "SegmentationClassAug", Split = "ImageSets/Segmentation/aug.txt" };

    [Fact]
    public void VocTrainPlusAugConcatenatesPartsInOrder()
    {
        var root = DataTestKit.SharedVoc;
        var cfg = new DataConfig { Root = root, Train = new SplitConfig { Parts = [VocTrain, VocAug] } };
        var ds = (VocDataset)DatasetFactory.Create(cfg, train: true);
        var train = File.ReadAllLines(Path.Combine(root, "ImageSets/Segmentation/train.txt")).Where(l => l.Trim().Length > 0).ToList();
        var aug = File.ReadAllLines(Path.Combine(root, "ImageSets/Segmentation/aug.txt")).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(train.Count + aug.Count, ds.Count);
        Assert.Equal(train.Concat(aug).Select(s => s.Trim()), Enumerable.Range(0, ds.Count).Select(ds.IdAt));
        foreach (var item in ds.Items)
        {
            Assert.True(File.Exists(item.ImagePath), item.ImagePath);
            Assert.True(File.Exists(item.LabelPath), item.LabelPath);
            Assert.EndsWith(item.Id + ".jpg", item.ImagePath);
        }
        Assert.All(ds.Items.Take(train.Count), i => Assert.Contains("SegmentationClass" + Path.DirectorySeparatorChar, i.LabelPath));
        Assert.All(ds.Items.Skip(train.Count), i => Assert.Contains("SegmentationClassAug" + Path.DirectorySeparatorChar, i.LabelPath));
    }

    [Fact]
    public void DefaultVocValSplitListsValIds()
    {
        var cfg = new DataConfig { Root = DataTestKit.SharedVoc };
        var ds = DatasetFactory.Create(cfg, train: false);
        var val = File.ReadAllLines(Path.Combine(DataTestKit.SharedVoc, "ImageSets/Segmentation/val.txt")).Where(l => l.Trim().Length > 0).Select(l => l.Trim());
        Assert.Equal(val, Enumerable.Range(0, ds.Count).Select(ds.IdAt));
    }

    [Fact]
    public void VocLabelsReadAsPaletteIndices()
    {
        var ds = new VocDataset(DataTestKit.SharedVoc, [VocTrain]);
        var label = ImageIO.ReadLabel(ds.Items[0].LabelPath);
        Assert.All(label.Data, v => Assert.True(v <= 20 || v == 255));
    }

    [Fact]
    public void MissingRootSaysHowToMakeData()
    {
        var cfg = new DataConfig { Root = Path.Combine(TestPaths.NewTempDir(), "nope") };
        var e = Assert.Throws<SegmenterException>(() => DatasetFactory.Create(cfg, true));
        Assert.Contains("data.root", e.Message);
        Assert.Contains("segment data synth --format voc --out data/synth_voc", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingSplitFileIsNamed()
    {
        var root = TestPaths.NewTempDir();
        var e = Assert.Throws<SegmenterException>(() => new VocDataset(root, [new PartConfig { Split = "ImageSets/Segmentation/train.txt" }]));
        Assert.Contains("split file not found", e.Message);
        Assert.Contains(Path.Combine(root, "ImageSets/Segmentation/train.txt"), e.Message);
    }

    [Fact]
    public void SplitNamingMissingImageGivesFileLineAndId()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "a", DataTestKit.Image(8, 8, 1), DataTestKit.Label(8, 8, 2));
        File.WriteAllText(Path.Combine(root, "list.txt"), "a\n\nghost\n");
        var part = new PartConfig { ImgDir = "images", AnnDir = "masks", ImgSuffix = ".png", Split = "list.txt" };
        var e = Assert.Throws<SegmenterException>(() => new VocDataset(root, [part]));
        Assert.Contains($"{Path.Combine(root, "list.txt")}:3", e.Message);
        Assert.Contains("'ghost'", e.Message);
        Assert.Contains("image", e.Message);
    }

    [Fact]
    public void SplitNamingMissingLabelGivesFileLineAndId()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "a", DataTestKit.Image(8, 8, 1), DataTestKit.Label(8, 8, 2));
        ImageIO.WritePng(Path.Combine(root, "images", "b.png"), DataTestKit.Image(8, 8, 2));
        File.WriteAllText(Path.Combine(root, "list.txt"), "a\nb\n");
        var part = new PartConfig { Split = "list.txt" };
        var e = Assert.Throws<SegmenterException>(() => new FolderDataset(root, [part]));
        Assert.Contains($"{Path.Combine(root, "list.txt")}:2", e.Message);
        Assert.Contains("label for id 'b'", e.Message);
    }

    [Fact]
    public void EmptySplitAndEmptyFolderAreErrors()
    {
        var root = TestPaths.NewTempDir();
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        File.WriteAllText(Path.Combine(root, "empty.txt"), "\n  \n");
        var e1 = Assert.Throws<SegmenterException>(() => new FolderDataset(root, [new PartConfig { Split = "empty.txt" }]));
        Assert.Contains("lists no ids", e1.Message);
        var e2 = Assert.Throws<SegmenterException>(() => new FolderDataset(root));
        Assert.Contains("no images", e2.Message);
    }

    [Fact]
    public void FolderMatchesMasksByStemAcrossExtensions()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "b", DataTestKit.Image(8, 6, 1), DataTestKit.Label(8, 6, 3));
        DataTestKit.WritePair(root, "a", DataTestKit.Image(8, 6, 2), DataTestKit.Label(8, 6, 3));
        // A ".jpeg" name is matched too (listing only, nothing decoded here).
        File.Copy(Path.Combine(root, "images", "a.png"), Path.Combine(root, "images", "c.jpeg"));
        File.Copy(Path.Combine(root, "masks", "a.png"), Path.Combine(root, "masks", "c.png"));
        File.WriteAllText(Path.Combine(root, "images", "notes.txt"), "not an image");
        var ds = new FolderDataset(root);
        Assert.Equal(["a", "b", "c"], ds.Items.Select(i => i.Id));
        Assert.Equal(Path.Combine(root, "masks", "c.png"), ds.Items[2].LabelPath);
    }

    [Fact]
    public void FolderImageWithoutMaskIsNamed()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "a", DataTestKit.Image(8, 8, 1), DataTestKit.Label(8, 8, 2));
        ImageIO.WritePng(Path.Combine(root, "images", "lonely.png"), DataTestKit.Image(8, 8, 2));
        var e = Assert.Throws<SegmenterException>(() => new FolderDataset(root));
        Assert.Contains("lonely.png", e.Message);
    }

    [Fact]
    public void LoadDecodesImageAndLabel()
    {
        var root = TestPaths.NewTempDir();
        var image = DataTestKit.Image(10, 7, 3);
        var label = DataTestKit.Label(10, 7, 4);
        DataTestKit.WritePair(root, "x", image, label);
        var ds = DatasetFactory.Create(DataTestKit.FolderConfig(root), true, 4, DataTestKit.ReadPngRgb);
        var s = ds.Load(0);
        Assert.Equal("x", s.Id);
        Assert.Equal(image.Data, s.Image.Data);
        Assert.Equal(label.Data, s.Label.Data);
    }

    [Fact]
    public void SizeMismatchIsRaisedAtLoad()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "x", DataTestKit.Image(10, 7, 3), DataTestKit.Label(9, 7, 4));
        var ds = DatasetFactory.Create(DataTestKit.FolderConfig(root), true, 0, DataTestKit.ReadPngRgb);
        var e = Assert.Throws<SegmenterException>(() => ds.Load(0));
        Assert.Contains("10x7", e.Message);
        Assert.Contains("9x7", e.Message);
    }

    [Fact]
    public void LabelValueBeyondClassesIsRaisedAtLoad()
    {
        var root = TestPaths.NewTempDir();
        var label = DataTestKit.Label(10, 7, 4);
        label.Data[5] = 37;
        DataTestKit.WritePair(root, "x", DataTestKit.Image(10, 7, 3), label);
        var ds = DatasetFactory.Create(DataTestKit.FolderConfig(root), true, 21, DataTestKit.ReadPngRgb);
        var e = Assert.Throws<SegmenterException>(() => ds.Load(0));
        Assert.Equal($"label value 37 >= num_classes 21 in {Path.Combine(root, "masks", "x.png")} (fix: check num_classes or the mask encoding; 255 marks ignore)", e.Message);
    }

    [Fact]
    public void ReduceZeroLabelMapsZeroToIgnoreAndShifts()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "x", DataTestKit.Image(4, 1, 3), new LabelMap(4, 1, [0, 1, 5, 255]));
        var cfg = DataTestKit.FolderConfig(root) with { ReduceZeroLabel = true };
        var s = DatasetFactory.Create(cfg, true, 0, DataTestKit.ReadPngRgb).Load(0);
        Assert.Equal(new byte[] { 255, 0, 4, 255 }, s.Label.Data);
    }

    [Fact]
    public void UnknownTypeIsAConfigError()
    {
        var e = Assert.Throws<SegmenterException>(() => DatasetFactory.Create(new DataConfig { Type = "coco_stuff", Root = DataTestKit.SharedVoc }, true));
        Assert.Contains("data.type", e.Message);
    }
}
