using Segmenter.Config;

namespace Segmenter.Training.Optim;

/// <summary>
/// The learning rate as a pure function of the iteration and the group's base lr, so a resumed run needs no scheduler
/// state. t is the 0-based iteration about to run, T = max_iters, W = warmup_iters, r = warmup_ratio, p = power,
/// η = min_lr, and base = optimizer.lr × the group's lr multiplier (both references schedule each parameter group
/// from its own initial lr). Two semantics, chosen by schedule.semantics:
/// <list type="bullet">
/// <item><c>mmcv</c>: MMSegmentation 0.x (mmcv's PolyLrUpdaterHook with linear warm-up): the poly curve
/// poly(t) = (base − η)·(1 − t/T)^p + η runs from t = 0, and the warm-up scales it,
/// lr = poly(t)·(1 − (1 − t/W)(1 − r)) for t &lt; W. Detectron2's WarmupPolyLR is the same function with η = 0.</item>
/// <item><c>mmengine</c>: MMSegmentation 1.x's param_scheduler [LinearLR(start_factor r, begin 0, end W),
/// PolyLR(eta_min η, power p, begin W, end T)], both stepped after every iteration and chained on the group's lr.
/// LinearLR's total_iters is W − 1: lr = base·(r + (1 − r)·t/(W − 1)) for t &lt; W, reaching base at t = W − 1
/// (base·r when W = 1). PolyLR starts from that value L at t = W, its total_iters is P = T − W − 1:
/// lr = (L − η)·(1 − (t − W)/P)^p + η, so it reaches η at the last iteration t = T − 1 (mmengine's chainable form
/// (lr − η)·(1 − 1/(P − k + 1))^p + η, multiplied out).</item>
/// </list>
/// </summary>
public sealed class LrSchedule
{
    public const string Mmcv = "mmcv";
    public const string Mmengine = "mmengine";

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
        if (cfg.Semantics is not (Mmcv or Mmengine))
            throw new SegmenterException($"semantics is '{cfg.Semantics}'", "schedule.semantics", $"use {Mmcv} (MMSegmentation 0.x) or {Mmengine} (MMSegmentation 1.x)");
        _cfg = cfg;
        BaseLr = baseLr;
    }

    public double BaseLr { get; }

    /// <summary>The learning rate of optimizer.lr for the 0-based iteration about to run (clamped to [0, max_iters]).</summary>
    public double LearningRate(long iteration) => LearningRate(iteration, BaseLr);

    /// <summary>The learning rate of a parameter group whose initial lr is <paramref name="baseLr"/>.</summary>
    public double LearningRate(long iteration, double baseLr) =>
        _cfg.Semantics == Mmengine ? MmengineLr(Math.Clamp(iteration, 0, _cfg.MaxIters - 1), baseLr)
            : MmcvLr(Math.Clamp(iteration, 0, _cfg.MaxIters), baseLr);

    private double MmcvLr(long t, double baseLr)
    {
        double coeff = Math.Pow(1.0 - (double)t / _cfg.MaxIters, _cfg.Power);
        double lr = (baseLr - _cfg.MinLr) * coeff + _cfg.MinLr;
        if (_cfg.WarmupIters > 0 && t < _cfg.WarmupIters)
        {
            double k = (1.0 - (double)t / _cfg.WarmupIters) * (1.0 - _cfg.WarmupRatio);
            lr *= 1.0 - k;
        }
        return lr;
    }

    private double MmengineLr(long t, double baseLr)
    {
        long w = _cfg.WarmupIters;
        double r = _cfg.WarmupRatio;
        // LinearLR over [0, W): factor r at t = 0, then linear to 1 at t = W − 1 (total_iters = W − 1).
        if (w > 0 && t < w)
            return w == 1 ? baseLr * r : baseLr * (r + (1.0 - r) * t / (w - 1));
        double start = w == 1 ? baseLr * r : baseLr;
        long p = _cfg.MaxIters - w - 1;
        if (p <= 0) return start; // PolyLR's first step keeps the value; a one-iteration range never decays.
        return (start - _cfg.MinLr) * Math.Pow(1.0 - (double)(t - w) / p, _cfg.Power) + _cfg.MinLr;
    }
}
