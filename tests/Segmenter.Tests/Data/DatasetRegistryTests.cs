using System.Text.RegularExpressions;
using Segmenter.Config;
using Segmenter.Data;

namespace Segmenter.Tests.Data;

/// <summary>A format added the way docs/architecture.md says: one class (this one) and one registry line.</summary>
public sealed class ToyTilesFormat : FileListFormat
{
    public const string TypeName = "toy_tiles";

    public static DatasetLayout Layout { get; } = new("tiles", "tiles_gt", [".png"]);

    public override void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report) =>
        Layout.ListPart(fullRoot, part, items, report);

    public override IReadOnlyList<string> ClassNames => ["sea", "land", "ice"];

    public override IReadOnlyList<(byte R, byte G, byte B)> Colours => [(0, 0, 255), (0, 255, 0), (255, 255, 255)];
}

public class DatasetRegistryTests
{
    static DatasetRegistryTests()
    {
        // The one registry line (the registry is process-wide; the static constructor runs it once).
        if (DatasetRegistry.Find(ToyTilesFormat.TypeName) is null) DatasetRegistry.Register(ToyTilesFormat.TypeName, new ToyTilesFormat());
    }

    [Fact]
    public void ARegisteredFormatLoadsOpensChecksAndNamesItsClasses()
    {
        var root = TestPaths.NewTempDir();
        for (int i = 0; i < 3; i++)
            DataTestKit.WritePair(root, $"t{i}", DataTestKit.Image(8, 6, i), DataTestKit.Label(8, 6, 3), "tiles", "tiles_gt");
        var cfg = ConfigLoader.LoadText($"""
            model:
              num_classes: 3
            data:
              type: {ToyTilesFormat.TypeName}
              root: {root}
              train:
                parts:
                  - split: null
              val:
                parts:
                  - split: null
            """, "toy.yaml");
        Assert.Contains(ToyTilesFormat.TypeName, DatasetRegistry.Names);

        var ds = DatasetFactory.Create(cfg.Data, train: true, numClasses: 3);
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { "t0", "t1", "t2" }, Enumerable.Range(0, 3).Select(ds.IdAt));
        Assert.Equal(DataTestKit.Label(8, 6, 3).Data, ds.Load(1).Label.Data);

        var report = DataChecker.Check(cfg.Data, 3, train: false, numThreads: 1);
        Assert.Empty(report.Problems);
        Assert.Equal(3, report.Checked);

        Assert.Equal(new[] { "sea", "land", "ice" }, ClassNames.For(cfg));
        Assert.Equal(((byte)0, (byte)255, (byte)0), Palettes.For(cfg.Data, 3)[1]);
        Assert.Equal(Palettes.Voc()[3], Palettes.For(cfg.Data, 3)[3]);
    }

    [Fact]
    public void ATypoInDataTypeSuggestsARegisteredName()
    {
        var message = Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText("data:\n  type: cityscape\n", "test.yaml")).Message;
        Assert.Contains("data.type is cityscape", message);
        Assert.Contains("did you mean 'cityscapes'?", message);
        Assert.Contains(string.Join(", ", DatasetRegistry.Names), message);

        var e = Assert.Throws<SegmenterException>(() => DatasetRegistry.Get("coco_panoptc"));
        Assert.Contains("did you mean 'coco_panoptic'?", e.Message);
    }

    [Fact]
    public void PanopticFormatsAreTheOnesWithPanopticGroundTruth()
    {
        Assert.Equal(new[] { "coco_panoptic", "cityscapes_panoptic" }, DatasetRegistry.NamesOf<PanopticFormat>());
        var e = Assert.Throws<SegmenterException>(() => DatasetRegistry.GetPanoptic("voc"));
        Assert.Contains("data.type 'voc' has no panoptic ground truth", e.Message);
        Assert.Contains("coco_panoptic, cityscapes_panoptic", e.Message);
    }

    [Fact]
    public void MaskConversionOffersTheFormatsWithMaskColours() =>
        Assert.Equal(new[] { "voc", "cityscapes" }, MaskConverter.PaletteNames);

    /// <summary>A data.type name is written in DatasetRegistry.cs only; Synth/ and the CLI keep their own format words for `segment data synth`.</summary>
    [Fact]
    public void DatasetTypeNamesAppearOnlyInTheRegistry()
    {
        var registered = DatasetRegistry.Names.Where(n => n != ToyTilesFormat.TypeName).ToList();
        var quoted = new Regex(string.Join("|", registered.Select(n => Regex.Escape($"\"{n}\""))), RegexOptions.Compiled);
        var sep = Path.DirectorySeparatorChar;
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src", "Segmenter"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}") && !f.Contains($"{sep}bin{sep}") && !f.Contains($"{sep}Synth{sep}")
                && Path.GetFileName(f) != "DatasetRegistry.cs")
            .ToList();
        Assert.NotEmpty(files);
        var hits = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => quoted.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "dataset type names outside DatasetRegistry:\n" + string.Join("\n", hits));
    }
}
