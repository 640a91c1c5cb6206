using Serilog;
using Serilog.Events;

namespace Segmenter.Logging;

/// <summary>Serilog to the console (always) and to a file in the work dir (when given).</summary>
public static class LogSetup
{
    private const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}";

    public static void Configure(bool verbose, string? logFile = null)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .WriteTo.Sink(new GatedConsoleSink(new LoggerConfiguration().MinimumLevel.Verbose() // gate: progress bars print lines above them
                .WriteTo.Console(outputTemplate: Template, standardErrorFromLevel: LogEventLevel.Error).CreateLogger(), Template));
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
            config = config.WriteTo.File(logFile, outputTemplate: Template);
        }
        Log.CloseAndFlush();
        Log.Logger = config.CreateLogger();
    }
}
