using Segmenter.Cli.Progress;
using Segmenter.Logging;
using Segmenter.Tests.EndToEnd;
using Serilog;
using Spectre.Console.Testing;

namespace Segmenter.Tests.Cli;

// The console, Serilog's global logger and ConsoleLogGate are process-wide: run beside no other CLI test.
[Collection("cli")]
public class SpectreProgressReporterTests
{
    [Fact]
    public void BarShowsCountAndLogLinesGoThroughTheLiveDisplay()
    {
        var oldOut = Console.Out;
        var stdout = new StringWriter();
        Console.SetOut(stdout);
        try
        {
            LogSetup.Configure(verbose: false);
            var console = new TestConsole().Interactive().Width(120);
            using (var reporter = new SpectreProgressReporter(console))
            {
                for (int i = 0; i <= 10; i++)
                {
                    reporter.Report("eval", i, 10);
                    if (i == 4)
                    {
                        Assert.NotNull(ConsoleLogGate.Divert); // a bar is shown: console log lines are diverted
                        Log.Information("line while the bar runs");
                    }
                }
                Assert.Null(ConsoleLogGate.Divert); // total reached: bar ended, logging back to the plain console
            }
            Log.Information("line after the bar");
            Log.CloseAndFlush();
            var drawn = console.Output;
            Assert.Contains("eval", drawn);
            Assert.Contains("10/10", drawn);
            Assert.Contains("line while the bar runs", drawn);
            Assert.DoesNotContain("line while the bar runs", stdout.ToString());
            Assert.Contains("line after the bar", stdout.ToString());
        }
        finally
        {
            Log.CloseAndFlush();
            Console.SetOut(oldOut);
        }
    }

    [Fact]
    public void NewLabelStartsANewBarAndDisposeEndsAnUnfinishedOne()
    {
        var console = new TestConsole().Interactive().Width(120);
        var reporter = new SpectreProgressReporter(console);
        reporter.Report("check train", 3, 8);
        reporter.Report("check val", 1, 4);
        Assert.NotNull(ConsoleLogGate.Divert);
        reporter.Dispose(); // e.g. the loop threw: the bar ends before the error line is printed
        Assert.Null(ConsoleLogGate.Divert);
        Assert.Contains("check train", console.Output);
        Assert.Contains("check val", console.Output);
    }

    [Theory]
    [InlineData(true, "xterm-256color", null, false)]
    [InlineData(false, "dumb", null, false)]
    [InlineData(false, "xterm-256color", "0", false)]
    [InlineData(false, "xterm-256color", null, true)]
    [InlineData(false, null, null, true)]
    public void BarsOnlyOnAnInteractiveTerminal(bool redirected, string? term, string? setting, bool expected) =>
        Assert.Equal(expected, ProgressConsole.Interactive(redirected, term, setting));

    [Fact]
    public void RedirectedOutputKeepsThePlainLogLines()
    {
        using (ProgressConsole.Start("synth")) Assert.Same(NoProgress.Instance, ProgressReporting.Current); // the test host's stdout is a pipe
        var dir = Path.Combine(Path.GetTempPath(), "segmenter-progress-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, _) = CliRunner.Run("data", "synth", "--format", "voc", "--out", dir, "--count", "4", "--size", "24");
            Assert.Equal(0, code);
            Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INF Wrote 4 images", stdout);
            Assert.DoesNotContain('\u001b', stdout); // no escape sequences: nothing drawn
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
