using System.Runtime.InteropServices;
using Serilog;

namespace Segmenter.Cli.Commands;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into one cancellation request for `segment train`: the trainer finishes the
/// current step, writes a checkpoint and returns, so `--resume auto` continues exactly. SIGTERM is what Slurm
/// (before a preemption's SIGKILL), Kubernetes (terminationGracePeriodSeconds) and `timeout` send; after it the verb
/// exits with 143 (128 + 15), the code a job killed by SIGTERM reports, so schedulers still see the termination.
/// A second Ctrl+C or SIGTERM is not intercepted and ends the process at once.
/// </summary>
public sealed class StopSignals : IDisposable
{
    /// <summary>Exit code after a SIGTERM-requested stop (the shell convention 128 + signal 15).</summary>
    public const int SigtermExitCode = 143;

    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration? _sigterm;
    private readonly ConsoleCancelEventHandler _onCancel;
    private int _requests;

    public StopSignals()
    {
        _onCancel = (_, e) => e.Cancel = Request("Ctrl+C");
        Console.CancelKeyPress += _onCancel;
        try
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => ctx.Cancel = Request("SIGTERM"));
        }
        catch (PlatformNotSupportedException) { } // no SIGTERM to intercept (e.g. some sandboxes); Ctrl+C still works
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>True once a SIGTERM asked the run to stop.</summary>
    public bool Terminated { get; private set; }

    private bool Request(string what)
    {
        if (Interlocked.Increment(ref _requests) > 1) return false; // the second request: default action, stop now
        if (what == "SIGTERM") Terminated = true;
        Log.Warning("{Signal}: stopping after this iteration and writing a checkpoint (again to abort at once); resume with --resume auto", what);
        _cts.Cancel();
        return true;
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= _onCancel;
        _sigterm?.Dispose();
        _cts.Dispose();
    }
}
