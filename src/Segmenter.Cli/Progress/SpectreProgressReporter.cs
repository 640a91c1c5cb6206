using Segmenter.Logging;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Segmenter.Cli.Progress;

/// <summary>Draws the library's progress reports (Logging/ProgressReporting) as a Spectre.Console bar with count, elapsed time and
/// ETA. A bar lives while one loop runs: it starts at the first report of a label and ends when current reaches total (or at
/// Dispose, e.g. on an error), so the command's own Console output before and after never meets a live display. While it is shown,
/// Serilog console lines go through ConsoleLogGate into the same console, whose live renderer prints them above the bar.</summary>
public sealed class SpectreProgressReporter(IAnsiConsole console) : IProgressReporter, IDisposable
{
    private readonly object gate = new();
    private string? label;
    private ProgressTask? task;
    private Task? display;
    private TaskCompletionSource? finish;

    public void Report(string label, long current, long total)
    {
        lock (gate)
        {
            if (task is null || this.label != label) { StopLocked(); StartLocked(label, total); }
            task!.MaxValue = Math.Max(1, total);
            task.Value = Math.Max(task.Value, Math.Min(current, total)); // parallel loops (data check) report under a lock; never step back
            if (current >= total) StopLocked();
        }
    }

    public void Dispose()
    {
        lock (gate) StopLocked();
    }

    private void StartLocked(string newLabel, long total)
    {
        var started = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
        finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = finish.Task;
        label = newLabel;
        // Progress.Start blocks until its action returns, redrawing on its own timer: run it on a worker that waits for the end.
        display = Task.Run(() => console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new CountColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                started.SetResult(ctx.AddTask(Markup.Escape(newLabel), maxValue: Math.Max(1, total)));
                done.Wait();
            }));
        task = started.Task.GetAwaiter().GetResult();
        ConsoleLogGate.Divert = (line, _) => console.Write(new Text(line));
    }

    private void StopLocked()
    {
        if (display is null) return;
        finish!.TrySetResult();
        try { display.Wait(); }
        finally
        {
            ConsoleLogGate.Divert = null; // after the last redraw, so no line lands between the bar's final frame and its end
            display = null; task = null; label = null; finish = null;
        }
    }

    /// <summary>"12/40": items done of the total.</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text($"{task.Value:0}/{task.MaxValue:0}");
    }
}
