using Serilog;

namespace Segmenter.Training.Distributed;

/// <summary>
/// Turns a collective that waits too long into the end of the job. MPI collectives have no timeout of their own: a
/// rank that died without the launcher noticing, or that skipped a collective, leaves the others blocked forever.
/// Every collective runs between <see cref="Enter"/> and <see cref="Exit"/>; a background thread checks once a
/// quarter second and, past the timeout, prints one line naming the collective, its tag and this rank, then calls
/// <c>onTimeout</c> (MPI_Abort, which ends every rank of the job). The idea is PyTorch's NCCL watchdog
/// (torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp, TORCH_NCCL_BLOCKING_WAIT / timeout).
/// </summary>
public sealed class CollectiveWatchdog : IDisposable
{
    private readonly object _lock = new();
    private readonly TimeSpan _timeout;
    private readonly int _rank;
    private readonly Action _onTimeout;
    private readonly Thread _thread;
    private volatile bool _stop;
    private string? _op, _tag;
    private DateTime _since;
    private long _sequence;

    public CollectiveWatchdog(TimeSpan timeout, int rank, Action onTimeout)
    {
        _timeout = timeout;
        _rank = rank;
        _onTimeout = onTimeout;
        _thread = new Thread(Watch) { IsBackground = true, Name = "segmenter-collective-watchdog" };
        _thread.Start();
    }

    public TimeSpan Timeout => _timeout;

    /// <summary>Marks the start of a blocking collective.</summary>
    public void Enter(string op, string tag)
    {
        lock (_lock) { _op = op; _tag = tag; _since = DateTime.UtcNow; _sequence++; }
    }

    /// <summary>Marks its end.</summary>
    public void Exit()
    {
        lock (_lock) { _op = null; _tag = null; }
    }

    private void Watch()
    {
        while (!_stop)
        {
            Thread.Sleep(250);
            string? op, tag; DateTime since; long seq;
            lock (_lock) { op = _op; tag = _tag; since = _since; seq = _sequence; }
            if (op is null || DateTime.UtcNow - since < _timeout) continue;
            var line = $"error: rank {_rank}: collective {op} '{tag}' (#{seq}) waited more than {_timeout.TotalSeconds:0} s for the other ranks " +
                       "(train.dist_timeout_s); a rank died, hangs or skipped it - aborting the job";
            Console.Error.WriteLine(line);
            Log.Fatal("{Line}", line);
            Log.CloseAndFlush();
            _onTimeout();
            return;
        }
    }

    public void Dispose() => _stop = true;
}
