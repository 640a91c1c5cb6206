using Serilog;
using Serilog.Events;

namespace Segmenter.Logging;

/// <summary>
/// Logging of the ranks other than 0 in multi-process training: console only (rank 0 alone writes train.log), warnings
/// and errors only unless --verbose, each line prefixed with the rank, so N ranks do not print N copies of the log.
/// </summary>
public static class RankLogSetup
{
    public static void Configure(bool verbose, int rank)
    {
        Log.CloseAndFlush();
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Warning)
            .WriteTo.Console(outputTemplate: $"{{Timestamp:yyyy-MM-dd HH:mm:ss}} {{Level:u3}} [rank {rank}] {{Message:lj}}{{NewLine}}{{Exception}}",
                standardErrorFromLevel: LogEventLevel.Error)
            .CreateLogger();
    }
}
