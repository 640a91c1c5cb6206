using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

public class DataCheckerTests
{
    [Fact]
    public void ReportsEveryProblemAndCountsClasses()
    {
        var root = TestPaths.NewTempDir();
        // good: 4x2, classes 0 and 1 (4 px each)
        DataTestKit.WritePair(root, "good", DataTestKit.Image(4, 2, 1), new LabelMap(4, 2, [0, 0, 1, 1, 0, 0, 1, 1]));
        // bad value 37 (num_classes 3) and one ignore pixel
        DataTestKit.WritePair(root, "badvalue", DataTestKit.Image(4, 2, 2), new LabelMap(4, 2, [2, 2, 2, 37, 255, 2, 2, 2]));
        // size mismatch
        DataTestKit.WritePair(root, "mismatch", DataTestKit.Image(5, 2, 3), new LabelMap(4, 2, [1, 1, 1, 1, 1, 1, 1, 1]));
        // colour mask
        DataTestKit.WritePair(root, "colour", DataTestKit.Image(4, 2, 4), new LabelMap(4, 2, new byte[8]));
        ImageIO.WritePng(Path.Combine(root, "masks", "colour.png"), DataTestKit.Image(4, 2, 5));
        // corrupt image
        DataTestKit.WritePair(root, "corrupt", DataTestKit.Image(4, 2, 6), new LabelMap(4, 2, new byte[8]));
        File.WriteAllBytes(Path.Combine(root, "images", "corrupt.png"), [1, 2, 3]);
        // image without mask
        ImageIO.WritePng(Path.Combine(root, "images", "orphan.png"), DataTestKit.Image(4, 2, 7));

        var cfg = DataTestKit.FolderConfig(root);
        var report = DataChecker.Check(cfg, 3, train: true, numThreads: 2, DataTestKit.ReadPngRgb);

        Assert.False(report.Ok);
        Assert.Equal(5, report.Listed);
        Assert.Equal(2, report.Checked); // good, badvalue (mismatch/colour/corrupt fail)
        var messages = report.Problems.Select(p => p.Message).ToList();
        Assert.Equal(5, messages.Count);
        Assert.Contains(messages, m => m.Contains("orphan.png"));
        Assert.Contains(messages, m => m.Contains("label value 37 >= num_classes 3") && m.Contains("badvalue.png"));
        Assert.Contains(messages, m => m.Contains("5x2") && m.Contains("4x2") && m.Contains("mismatch"));
        Assert.Contains(messages, m => m.Contains("colour") && m.Contains("colour.png"));
        Assert.Contains(messages, m => m.Contains("unreadable image") && m.Contains("corrupt.png"));
        Assert.All(messages, m => Assert.DoesNotContain('\n', m));

        // Counts cover every decoded label: good, badvalue, mismatch, corrupt (its label is fine).
        Assert.Equal(new long[] { 4 + 8, 4 + 8, 6 }, report.PixelsPerClass);
        Assert.Equal(new[] { 2, 2, 1 }, report.ImagesPerClass);
        Assert.Equal(1, report.IgnoredPixels);
        Assert.Equal(1, report.InvalidPixels);

        var text = report.Format(["background", "cat", "dog"]);
        Assert.Contains("background", text);
        Assert.Contains("dog", text);
        Assert.Contains("problems (5)", text);
    }

    [Fact]
    public void CleanDatasetHasNoProblems()
    {
        var root = TestPaths.NewTempDir();
        DataTestKit.WritePair(root, "a", DataTestKit.Image(6, 3, 1), DataTestKit.Label(6, 3, 2));
        var report = DataChecker.Check(DataTestKit.FolderConfig(root), 2, false, 1, DataTestKit.ReadPngRgb);
        Assert.True(report.Ok);
        Assert.Equal(1, report.Checked);
        Assert.Equal(18 - 3, report.PixelsPerClass.Sum());
        Assert.Contains("no problems found", report.Format(null));
    }

    [Fact]
    public void MissingRootIsReportedNotThrown()
    {
        var cfg = new DataConfig { Root = Path.Combine(TestPaths.NewTempDir(), "missing") };
        var report = DataChecker.Check(cfg, 21, true);
        Assert.Single(report.Problems);
        Assert.Contains("segment data synth", report.Problems[0].Message);
    }

    [Fact]
    public void SharedVocListingHasNoMissingFiles()
    {
        // Only the listing is checked here (decoding JPEGs needs ImageIO.ReadRgb): every id resolves to files.
        var problems = new List<string>();
        var cfg = new DataConfig { Root = DataTestKit.SharedVoc };
        var items = DatasetListing.List(new VocFormat(), cfg.Root, cfg.Train.Parts.Concat(cfg.Val.Parts).ToList(), e => problems.Add(e.Message));
        Assert.Empty(problems);
        Assert.Equal(6, items.Count);
    }
}
