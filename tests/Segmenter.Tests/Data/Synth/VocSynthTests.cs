using System.Diagnostics;
using System.Text.RegularExpressions;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Segmenter.IO;

namespace Segmenter.Tests.Data.Synth;

/// <summary>The synthetic VOC dataset: official layout, valid labels, byte-identical for the same arguments.</summary>
public class VocSynthTests
{
    private static readonly string[] Sets = ["train.txt", "val.txt", "trainval.txt", "aug.txt", "trainaug.txt"];

    private static List<string> ReadIds(string root, string set) =>
        File.ReadAllLines(Path.Combine(root, "ImageSets", "Segmentation", set)).Where(l => l.Length > 0).ToList();

    [Fact]
    public void Same_arguments_give_byte_identical_files()
    {
        var a = VocSynth.Generate(TestPaths.NewTempDir(), count: 8, size: 48, seed: 7);
        var b = VocSynth.Generate(TestPaths.NewTempDir(), count: 8, size: 48, seed: 7);
        var filesA = Directory.GetFiles(a.OutDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a.OutDir, f)).Order().ToList();
        var filesB = Directory.GetFiles(b.OutDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b.OutDir, f)).Order().ToList();
        Assert.Equal(filesA, filesB);
        Assert.Equal(8 * 3 + Sets.Length, filesA.Count);
        foreach (var f in filesA)
            Assert.True(File.ReadAllBytes(Path.Combine(a.OutDir, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b.OutDir, f))), f);

        var c = VocSynth.Generate(TestPaths.NewTempDir(), count: 8, size: 48, seed: 8);
        Assert.NotEqual(a.Ids, c.Ids);
    }

    [Fact]
    public void Default_dataset_has_the_official_layout_and_valid_labels()
    {
        var sw = Stopwatch.StartNew();
        var report = VocSynth.Generate(TestPaths.NewTempDir());
        sw.Stop();
        Assert.True(sw.Elapsed.TotalSeconds < 10, $"generation took {sw.Elapsed.TotalSeconds:F1} s");

        var root = report.Voc2012Root;
        Assert.EndsWith(Path.Combine("VOCdevkit", "VOC2012"), root);
        Assert.Equal(48, report.Count);
        Assert.Equal(12, report.ValCount);
        Assert.Equal(36, report.TrainCount);

        var train = ReadIds(root, "train.txt");
        var val = ReadIds(root, "val.txt");
        Assert.Equal(report.TrainIds, train);
        Assert.Equal(report.ValIds, val);
        Assert.Empty(train.Intersect(val));
        Assert.Equal(report.Ids, ReadIds(root, "trainval.txt"));
        Assert.Equal(train.Concat(val).Order(StringComparer.Ordinal), ReadIds(root, "trainval.txt"));
        Assert.Equal(train, ReadIds(root, "aug.txt"));
        Assert.Equal(train, ReadIds(root, "trainaug.txt"));
        Assert.All(report.Ids, id => Assert.Matches(new Regex(@"^20(0[7-9]|1[0-2])_\d{6}$"), id));
        Assert.Equal(report.Ids.Count, report.Ids.Distinct().Count());

        var sizes = new HashSet<(int, int)>();
        var seenClasses = new HashSet<int>();
        var pal = Palettes.Voc();
        foreach (var id in report.Ids)
        {
            var img = ImageIO.ReadRgb(Path.Combine(root, "JPEGImages", id + ".jpg"));
            var clsFile = Path.Combine(root, "SegmentationClass", id + ".png");
            var cls = ImageIO.ReadLabel(clsFile);
            var aug = ImageIO.ReadLabel(Path.Combine(root, "SegmentationClassAug", id + ".png"));
            Assert.Equal((img.Width, img.Height), (cls.Width, cls.Height));
            Assert.Equal((img.Width, img.Height), (aug.Width, aug.Height));
            sizes.Add((img.Width, img.Height));

            var png = PngCodec.Decode(clsFile);
            Assert.Equal(PngCodec.ColorType.Palette, png.Color);
            Assert.Equal(PngCodec.ColorType.Gray, PngCodec.Decode(Path.Combine(root, "SegmentationClassAug", id + ".png")).Color);

            Assert.Contains((byte)255, cls.Data);
            Assert.Contains((byte)0, aug.Data);
            Assert.Contains(aug.Data, v => v != 0);
            int badBand = 0, badColour = 0;
            var colours = ImageIO.Codec.Decode(File.ReadAllBytes(clsFile), clsFile); // Skia's colour view of the palette PNG
            for (int i = 0; i < aug.Data.Length; i++)
            {
                byte a = aug.Data[i], c = cls.Data[i];
                seenClasses.Add(a);
                if (c != a && c != 255) badBand++;
                if (pal[c] != (colours.Data[i * 3], colours.Data[i * 3 + 1], colours.Data[i * 3 + 2])) badColour++;
            }
            Assert.True(badBand == 0, $"{id}: {badBand} pixels where SegmentationClass is neither the aug class nor 255");
            Assert.True(badColour == 0, $"{id}: {badColour} pixels where palette[index] differs from Skia's colour decode");
        }
        Assert.True(sizes.Count > 2, "image sizes should vary");
        Assert.Contains(sizes, s => s.Item1 > s.Item2);
        Assert.Contains(sizes, s => s.Item1 < s.Item2);
        Assert.Equal(new[] { 0 }.Concat(VocSynth.DefaultClassesUsed).Order(), seenClasses.Order());
        Assert.Equal(seenClasses.Order(), report.PixelsPerClass.Keys.Order());

        // Every class appears in both splits.
        foreach (var split in new[] { train, val })
        {
            var present = new HashSet<int>();
            foreach (var id in split) foreach (var v in ImageIO.ReadLabel(Path.Combine(root, "SegmentationClassAug", id + ".png")).Data) present.Add(v);
            Assert.Superset(VocSynth.DefaultClassesUsed.ToHashSet(), present);
        }
    }

    [Fact]
    public void Classes_are_separable_by_colour()
    {
        var report = VocSynth.Generate(TestPaths.NewTempDir(), count: 12, size: 64, seed: 3);
        var sums = new Dictionary<int, (double R, double G, double B, long N)>();
        foreach (var id in report.Ids)
        {
            var img = ImageIO.ReadRgb(Path.Combine(report.Voc2012Root, "JPEGImages", id + ".jpg"));
            var lab = ImageIO.ReadLabel(Path.Combine(report.Voc2012Root, "SegmentationClass", id + ".png"));
            for (int i = 0; i < lab.Data.Length; i++)
            {
                if (lab.Data[i] == 255) continue;
                var s = sums.GetValueOrDefault(lab.Data[i]);
                sums[lab.Data[i]] = (s.R + img.Data[i * 3], s.G + img.Data[i * 3 + 1], s.B + img.Data[i * 3 + 2], s.N + 1);
            }
        }
        var means = sums.ToDictionary(kv => kv.Key, kv => (kv.Value.R / kv.Value.N, kv.Value.G / kv.Value.N, kv.Value.B / kv.Value.N));
        foreach (var (a, ma) in means)
            foreach (var (b, mb) in means)
                if (a < b)
                {
                    double d = Math.Sqrt(Math.Pow(ma.Item1 - mb.Item1, 2) + Math.Pow(ma.Item2 - mb.Item2, 2) + Math.Pow(ma.Item3 - mb.Item3, 2));
                    Assert.True(d > 25, $"classes {a} and {b} have mean colours only {d:F1} apart");
                }
    }
}
