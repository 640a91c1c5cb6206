using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training;

/// <summary>
/// Where a training step's time goes; the same split as scripts/bench_pytorch.py prints for PyTorch. The CPU figures are
/// the process's CPU time (all threads) per phase: on a machine shared with other work they vary far less than wall time.
/// </summary>
public sealed record StepPhases(double ForwardSeconds, double BackwardSeconds, double OptimizerSeconds,
    double ForwardCpuSeconds, double BackwardCpuSeconds, double OptimizerCpuSeconds)
{
    public double StepCpuSeconds => ForwardCpuSeconds + BackwardCpuSeconds + OptimizerCpuSeconds;
}

/// <summary>
/// Runs the benchmark's training steps (forward with losses, zero-grad + backward, optimizer step, inside one
/// DisposeScope) and accumulates the wall and CPU time of each phase over the steps it is told to record. The phase
/// boundaries need no device synchronisation on the CPU only, so on other devices the phases are not recorded.
/// </summary>
public sealed class StepPhaseTimer(IOptimizer optimizer, Device device)
{
    private readonly bool _canTime = device.type == DeviceType.CPU;
    private double _forward, _backward, _optimizer, _forwardCpu, _backwardCpu, _optimizerCpu;
    private int _recorded;

    /// <summary>One step: <paramref name="losses"/> runs the forward pass and returns the loss terms, which are summed.</summary>
    public void Step(Func<Dictionary<string, Tensor>> losses, bool record)
    {
        var cpu0 = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var total = losses().Values.Aggregate((x, y) => x + y);
        double t1 = watch.Elapsed.TotalSeconds;
        var cpu1 = Environment.CpuUsage.TotalTime;
        optimizer.ZeroGrad();
        total.backward();
        double t2 = watch.Elapsed.TotalSeconds;
        var cpu2 = Environment.CpuUsage.TotalTime;
        optimizer.Step();
        _ = total.item<float>();
        if (!record || !_canTime) return;
        _forward += t1;
        _backward += t2 - t1;
        _optimizer += watch.Elapsed.TotalSeconds - t2;
        _forwardCpu += (cpu1 - cpu0).TotalSeconds;
        _backwardCpu += (cpu2 - cpu1).TotalSeconds;
        _optimizerCpu += (Environment.CpuUsage.TotalTime - cpu2).TotalSeconds;
        _recorded++;
    }

    /// <summary>Mean phase times over the recorded steps, or null when none was recorded.</summary>
    public StepPhases? Mean => _recorded == 0 ? null
        : new StepPhases(_forward / _recorded, _backward / _recorded, _optimizer / _recorded,
            _forwardCpu / _recorded, _backwardCpu / _recorded, _optimizerCpu / _recorded);
}
