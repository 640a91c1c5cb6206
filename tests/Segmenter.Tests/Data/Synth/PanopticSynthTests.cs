using Segmenter.Tests.Evaluation;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Data.Synth;

namespace Segmenter.Tests.Data.Synth;

public class PanopticSynthTests
{
    [Theory]
    [InlineData("coco-panoptic", "coco_panoptic", 5)]
    [InlineData("cityscapes-panoptic", "cityscapes_panoptic", 19)]
    public void SynthSetsReadBackAndRoundTripToPqOne(string format, string type, int classes)
    {
        var dir = TestPaths.NewTempDir("pansynth");
        var report = PanopticSynth.Generate(dir, format, count: 8, size: 64, seed: 3);
        Assert.Equal(6, report.TrainIds.Count);
        Assert.Equal(2, report.ValIds.Count);
        Assert.True(report.Instances >= 2 * 8);
        foreach (var split in new[] { report.TrainSplit, report.ValSplit })
        {
            var ds = new PanopticDataset(type, report.Root, [new PartConfig { Split = split }]);
            Assert.Equal(classes, ds.Classes.NumClasses);
            for (int i = 0; i < ds.Count; i++)
            {
                var s = ds.LoadPanoptic(i);
                Assert.True(s.Gt.Segments.Count(g => g.IsThing) >= 2, $"{s.Id}: fewer than 2 instances");
                var r = PanopticRoundTripTests.RoundTrip(ds.Classes, s.Gt, ds.Items[i].Segments);
                Assert.True(Math.Abs(r.All.Pq - 1) < 1e-12, $"{s.Id}: PQ {r.All.Pq}");
            }
        }
    }

    [Fact]
    public void SameArgumentsGiveIdenticalFiles()
    {
        string a = TestPaths.NewTempDir("pansynth"), b = TestPaths.NewTempDir("pansynth");
        PanopticSynth.Generate(a, "cityscapes-panoptic", 3, 48, 7);
        PanopticSynth.Generate(b, "cityscapes-panoptic", 3, 48, 7);
        var files = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order());
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
    }
}
