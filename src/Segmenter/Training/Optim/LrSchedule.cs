using Segmenter.Training;
using Segmenter.Config;

namespace Segmenter.Training.Optim;

/// <summary>
/// The learning rate as a pure function of the iteration, so a resumed run needs no scheduler state:
/// mmseg/mmcv PolyLR with eta_min, lr = (lr0 − min_lr)·(1 − t/T)^power + min_lr, optionally preceded by
/// mmcv's linear warmup, lr = poly(t)·(ratio + (1 − ratio)·t/W) for t &lt; W. t is the 0-based iteration about to run.
/// </summary>
public sealed class LrSchedule
{
    private readonly ScheduleConfig _cfg;

    public LrSchedule(ScheduleConfig cfg, double baseLr)
    {
        if (cfg.MaxIters <= 0)
            throw new SegmenterException($"max_iters is {cfg.MaxIters}; it must be positive", "schedule.max_iters", "set schedule.max_iters to e.g. 40000");
        if (cfg.WarmupIters < 0)
            throw new SegmenterException($"warmup_iters is {cfg.WarmupIters}; it must be 0 or more", "schedule.warmup_iters", "set it to 0 (no warmup) or a positive count");
        if (cfg.WarmupIters > 0 && cfg.WarmupRatio is <= 0 or > 1)
            throw new SegmenterException($"warmup_ratio is {cfg.WarmupRatio}; it must lie in (0, 1]", "schedule.warmup_ratio", "use e.g. 1e-6");
        if (cfg.Power < 0)
            throw new SegmenterException($"power is {cfg.Power}; it must be 0 or more", "schedule.power", "use 0.9 (mmseg)");
        _cfg = cfg;
        BaseLr = baseLr;
    }

    public double BaseLr { get; }

    /// <summary>The learning rate for the 0-based iteration about to run (clamped to [0, max_iters]).</summary>
    public double LearningRate(long iteration)
    {
        long t = Math.Clamp(iteration, 0, _cfg.MaxIters);
        double coeff = Math.Pow(1.0 - (double)t / _cfg.MaxIters, _cfg.Power);
        double lr = (BaseLr - _cfg.MinLr) * coeff + _cfg.MinLr;
        if (_cfg.WarmupIters > 0 && t < _cfg.WarmupIters)
        {
            double k = (1.0 - (double)t / _cfg.WarmupIters) * (1.0 - _cfg.WarmupRatio);
            lr *= 1.0 - k;
        }
        return lr;
    }
}
