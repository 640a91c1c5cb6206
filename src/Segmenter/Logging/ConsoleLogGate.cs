using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Segmenter.Logging;

/// <summary>Where console log lines go. Normally straight to the Serilog console sink (unchanged output); while a progress bar is
/// drawn (src/Segmenter.Cli/Progress) the CLI sets <see cref="Divert"/> and each line, formatted with the same template, is handed
/// to it instead, so the bar's live display prints it above the bar rather than letting it garble the bar.</summary>
public static class ConsoleLogGate
{
    private static volatile Action<string, LogEventLevel>? divert;

    /// <summary>Receives the formatted line (with its newline) and level while a bar is shown; null otherwise.</summary>
    public static Action<string, LogEventLevel>? Divert { get => divert; set => divert = value; }
}

/// <summary>The console sink used by LogSetup: the ordinary Serilog console sink unless <see cref="ConsoleLogGate.Divert"/> is set.</summary>
public sealed class GatedConsoleSink(ILogEventSink console, string outputTemplate) : ILogEventSink, IDisposable
{
    private readonly MessageTemplateTextFormatter formatter = new(outputTemplate);

    public void Emit(LogEvent logEvent)
    {
        if (ConsoleLogGate.Divert is { } divert)
        {
            using var w = new StringWriter();
            formatter.Format(logEvent, w);
            divert(w.ToString(), logEvent.Level);
        }
        else console.Emit(logEvent);
    }

    public void Dispose() => (console as IDisposable)?.Dispose();
}
