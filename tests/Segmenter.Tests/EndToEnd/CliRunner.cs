using Segmenter.Cli.Commands;

namespace Segmenter.Tests.EndToEnd;

/// <summary>Runs `segment` in-process with captured stdout/stderr. Tests that use it share one collection (console is global).</summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var oldOut = Console.Out;
            var oldErr = Console.Error;
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = SegmentCli.Build().Parse(args).Invoke();
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}

/// <summary>
/// Tests that touch process-global state (the console, the torch RNG, the working directory) run in this
/// collection, one at a time and never beside other tests.
/// </summary>
[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
