using Segmenter.Training;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Benchmarks;

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
/// Runs the benchmark's training steps (<see cref="TrainStep"/>, as training does) and accumulates the wall and CPU time
/// of each phase (forward with losses, zero-grad + backward, optimizer step) over the steps it is told to record. The
/// phase boundaries need no device synchronisation on the CPU only, so on other devices the phases are not recorded.
/// </summary>
public sealed class StepPhaseTimer(nn.Module model, IOptimizer optimizer, Device device)
{
    private readonly bool _canTime = device.type == DeviceType.CPU;
    private double _forward, _backward, _optimizer, _forwardCpu, _backwardCpu, _optimizerCpu;
    private int _recorded;

    /// <summary>One step: <paramref name="losses"/> runs the forward pass and returns the loss terms, which are summed.</summary>
    public void Step(Func<Dictionary<string, Tensor>> losses, bool record)
    {
        var marks = new List<(double Wall, TimeSpan Cpu)>(3);
        var watch = Stopwatch.StartNew();
        var cpu0 = Environment.CpuUsage.TotalTime;
        TrainStep.Run(model, optimizer, gradClip: null, losses, () => marks.Add((watch.Elapsed.TotalSeconds, Environment.CpuUsage.TotalTime)));
        if (!record || !_canTime) return;
        _forward += marks[0].Wall;
        _backward += marks[1].Wall - marks[0].Wall;
        _optimizer += marks[2].Wall - marks[1].Wall;
        _forwardCpu += (marks[0].Cpu - cpu0).TotalSeconds;
        _backwardCpu += (marks[1].Cpu - marks[0].Cpu).TotalSeconds;
        _optimizerCpu += (marks[2].Cpu - marks[1].Cpu).TotalSeconds;
        _recorded++;
    }

    /// <summary>Mean phase times over the recorded steps, or null when none was recorded.</summary>
    public StepPhases? Mean => _recorded == 0 ? null
        : new StepPhases(_forward / _recorded, _backward / _recorded, _optimizer / _recorded,
            _forwardCpu / _recorded, _backwardCpu / _recorded, _optimizerCpu / _recorded);
}
