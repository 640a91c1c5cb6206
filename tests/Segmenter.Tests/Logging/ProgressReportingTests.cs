using System.Collections.Concurrent;
using Segmenter.Data.Synth;
using Segmenter.Logging;

namespace Segmenter.Tests.Logging;

public class ProgressReportingTests
{
    private sealed class Recorder : IProgressReporter
    {
        public readonly ConcurrentQueue<(string Label, long Current, long Total)> Reports = new();
        public void Report(string label, long current, long total) => Reports.Enqueue((label, current, total));
    }

    [Fact]
    public void DefaultIsNoOpAndScopeRestoresThePreviousReporter()
    {
        Assert.Same(NoProgress.Instance, ProgressReporting.Current);
        var outer = new Recorder();
        var inner = new Recorder();
        using (ProgressReporting.Use(outer))
        {
            using (ProgressReporting.Use(inner)) Assert.Same(inner, ProgressReporting.Current);
            Assert.Same(outer, ProgressReporting.Current);
        }
        Assert.Same(NoProgress.Instance, ProgressReporting.Current);
    }

    [Fact]
    public void SynthLoopReportsIncreasingCountsWithTheRightTotal()
    {
        var dir = Path.Combine(Path.GetTempPath(), "segmenter-progress-" + Guid.NewGuid().ToString("N"));
        try
        {
            var recorder = new Recorder();
            using (ProgressReporting.Use(recorder)) VocSynth.Generate(dir, count: 5, size: 24);
            var reports = recorder.Reports.ToList();
            Assert.NotEmpty(reports);
            Assert.All(reports, r => Assert.Equal(("synth", 5L), (r.Label, r.Total)));
            for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].Current > reports[i - 1].Current, $"report {i} did not advance");
            Assert.Equal(5, reports[^1].Current);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
