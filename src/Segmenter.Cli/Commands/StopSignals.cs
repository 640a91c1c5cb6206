using System.Runtime.InteropServices;
using Serilog;

namespace Segmenter.Cli.Commands;

/// <summary>
/// Turns Ctrl+C (SIGINT), SIGTERM and the configured requeue signal (train.requeue_signal, e.g. SIGUSR1 for
/// `#SBATCH --signal=B:USR1@120`) into one cancellation request for `segment train`: the trainer finishes the current
/// step, writes a checkpoint and returns, so `--resume auto` continues exactly. SIGTERM is what Slurm (before a
/// preemption's or requeue's SIGKILL), Kubernetes (terminationGracePeriodSeconds) and `timeout` send; after it the verb
/// exits with 143 (128 + 15), the code a job killed by SIGTERM reports, so schedulers still see the termination. After
/// the requeue signal it exits with 128 + that signal's number (138 for SIGUSR1 on Linux) and the caller asks Slurm
/// to requeue the job (<see cref="RequeueRequested"/>).
/// A second Ctrl+C is not intercepted and ends the process at once. Repeated SIGTERM or requeue signals are absorbed:
/// under Slurm one preemption reaches a task several times (from its slurmstepd, forwarded by srun or mpirun), and
/// the scheduler's SIGKILL after the grace time is the hard stop.
/// </summary>
public sealed class StopSignals : IDisposable
{
    /// <summary>Exit code after a SIGTERM-requested stop (the shell convention 128 + signal 15).</summary>
    public const int SigtermExitCode = 143;

    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration? _sigterm, _requeue;
    private readonly ConsoleCancelEventHandler _onCancel;
    private readonly string _requeueName;
    private readonly int _requeueNumber;
    private int _requests, _interrupts;

    /// <param name="requeueSignal">train.requeue_signal: none, SIGUSR1 or SIGUSR2.</param>
    public StopSignals(string requeueSignal = "none")
    {
        _onCancel = (_, e) => e.Cancel = Interrupt();
        Console.CancelKeyPress += _onCancel;
        _requeueName = requeueSignal;
        _requeueNumber = SignalNumber(requeueSignal);
        try
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => ctx.Cancel = Request("SIGTERM"));
            // PosixSignalRegistration takes raw signal numbers for signals its enum does not name (SIGUSR1, SIGUSR2).
            if (_requeueNumber > 0)
                _requeue = PosixSignalRegistration.Create((PosixSignal)_requeueNumber, ctx => ctx.Cancel = Request(_requeueName));
        }
        catch (PlatformNotSupportedException) { } // no POSIX signals to intercept (e.g. some sandboxes); Ctrl+C still works
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>True once a SIGTERM asked the run to stop (and no requeue signal came first).</summary>
    public bool Terminated { get; private set; }

    /// <summary>True once the requeue signal asked the run to stop: checkpoint, then `scontrol requeue` the job.</summary>
    public bool RequeueRequested { get; private set; }

    /// <summary>The process exit code after a completed or stopped run: 0, 143 after SIGTERM, 128 + n after requeue signal n.</summary>
    public int ExitCode => RequeueRequested ? 128 + _requeueNumber : Terminated ? SigtermExitCode : 0;

    /// <summary>The Linux (or macOS) number of a train.requeue_signal value; 0 for none.</summary>
    public static int SignalNumber(string name) => name switch
    {
        "SIGUSR1" => OperatingSystem.IsMacOS() ? 30 : 10,
        "SIGUSR2" => OperatingSystem.IsMacOS() ? 31 : 12,
        _ => 0,
    };

    private bool Interrupt()
    {
        if (Interlocked.Increment(ref _interrupts) > 1) return false; // the second Ctrl+C: default action, stop now
        return Request("Ctrl+C");
    }

    private bool Request(string what)
    {
        if (Interlocked.Increment(ref _requests) > 1) return true; // already stopping; the same stop reached us again
        if (what == "SIGTERM") Terminated = true;
        else if (what == _requeueName) RequeueRequested = true;
        Log.Warning("{Signal}: stopping after this iteration and writing a checkpoint{Requeue}; resume with --resume auto", what,
            RequeueRequested ? ", then requeueing the Slurm job" : "");
        _cts.Cancel();
        return true;
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= _onCancel;
        _sigterm?.Dispose();
        _requeue?.Dispose();
        _cts.Dispose();
    }
}
