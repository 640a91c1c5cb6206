using Segmenter.Config;
using Segmenter.Training;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Optim;

public class LrScheduleTests
{
    private static readonly ScheduleConfig Cfg = new() { MaxIters = 1000, WarmupIters = 100, WarmupRatio = 1e-6, Power = 0.9, MinLr = 1e-4 };

    [Fact]
    public void PolyWithoutWarmupStartsAtBaseAndEndsAtMinLr()
    {
        var s = new LrSchedule(Cfg with { WarmupIters = 0 }, 0.01);
        Assert.Equal(0.01, s.LearningRate(0), 15);
        Assert.Equal(1e-4, s.LearningRate(1000), 15);
        Assert.Equal(1e-4, s.LearningRate(5000), 15);
        // (0.01 − 1e-4)·0.5^0.9 + 1e-4
        Assert.Equal((0.01 - 1e-4) * Math.Pow(0.5, 0.9) + 1e-4, s.LearningRate(500), 15);
    }

    [Fact]
    public void WarmupStartsAtRatioAndJoinsThePolyCurve()
    {
        var s = new LrSchedule(Cfg, 0.01);
        Assert.Equal(0.01 * 1e-6, s.LearningRate(0), 15);
        double poly50 = (0.01 - 1e-4) * Math.Pow(1 - 50 / 1000.0, 0.9) + 1e-4;
        Assert.Equal(poly50 * (1e-6 + (1 - 1e-6) * 0.5), s.LearningRate(50), 15);
        double poly100 = (0.01 - 1e-4) * Math.Pow(1 - 100 / 1000.0, 0.9) + 1e-4;
        Assert.Equal(poly100, s.LearningRate(100), 15);
        double poly99 = (0.01 - 1e-4) * Math.Pow(1 - 99 / 1000.0, 0.9) + 1e-4;
        Assert.Equal(poly99 * (1e-6 + (1 - 1e-6) * 0.99), s.LearningRate(99), 15);
    }

    [Fact]
    public void RisesDuringWarmupThenFallsMonotonically()
    {
        var s = new LrSchedule(Cfg, 0.01);
        for (int t = 1; t < 100; t++) Assert.True(s.LearningRate(t) > s.LearningRate(t - 1), $"warmup at {t}");
        for (int t = 101; t <= 1000; t++) Assert.True(s.LearningRate(t) <= s.LearningRate(t - 1), $"decay at {t}");
        Assert.Equal(1e-4, s.LearningRate(1000), 15);
    }

    [Fact]
    public void RejectsNonPositiveMaxIters()
    {
        var e = Assert.Throws<SegmenterException>(() => new LrSchedule(Cfg with { MaxIters = 0 }, 0.01));
        Assert.Contains("schedule.max_iters", e.Message);
    }

    /// <summary>
    /// mmengine's schedulers run step by step (mmengine/optim/scheduler/param_scheduler.py): each is stepped once at
    /// construction and after every iteration; in [begin, end) it increments last_step and replaces the group's lr
    /// with _get_value() of the current lr (chainable). LinearLR: last_step 0 multiplies by start_factor, later steps by
    /// 1 + (1 − s)/(total·s + (k − 1)(1 − s)), total = end − begin − 1. PolyLR: last_step 0 keeps the lr, later steps
    /// give (lr − η)·(1 − 1/(total − k + 1))^p + η. Returns the lr each iteration 0..T−1 runs with.
    /// </summary>
    private static double[] MmengineStepByStep(double baseLr, int maxIters, int warmup, double ratio, double power, double etaMin)
    {
        double lr = baseLr;
        var schedulers = new List<(int Begin, int End, Func<int, double, double> Value)>();
        if (warmup > 0)
        {
            int total = warmup - 1;
            schedulers.Add((0, warmup, (k, cur) => k == 0 ? cur * ratio : cur * (1 + (1 - ratio) / (total * ratio + (k - 1) * (1 - ratio)))));
        }
        int polyTotal = maxIters - warmup - 1;
        schedulers.Add((warmup, maxIters, (k, cur) => k == 0 ? cur : (cur - etaMin) * Math.Pow(1 - 1.0 / (polyTotal - k + 1), power) + etaMin));
        var lastStep = schedulers.Select(_ => -1).ToArray();
        void StepAll(int globalStep)
        {
            for (int i = 0; i < schedulers.Count; i++)
                if (schedulers[i].Begin <= globalStep && globalStep < schedulers[i].End)
                    lr = schedulers[i].Value(++lastStep[i], lr);
        }
        var lrs = new double[maxIters];
        StepAll(0);
        for (int it = 0; it < maxIters; it++)
        {
            lrs[it] = lr;
            StepAll(it + 1);
        }
        return lrs;
    }

    [Theory]
    [InlineData(1000, 100, 1e-6, 0.9, 1e-4)]
    [InlineData(300, 20, 0.001, 0.9, 1e-4)]
    [InlineData(300, 0, 1e-6, 0.9, 1e-4)]
    [InlineData(50, 1, 0.1, 1.0, 0.0)]
    [InlineData(50, 49, 0.1, 2.0, 0.0)]
    public void MmengineSemanticsEqualMmengineSchedulersStepByStep(int maxIters, int warmup, double ratio, double power, double minLr)
    {
        var cfg = new ScheduleConfig { Semantics = LrSchedule.Mmengine, MaxIters = maxIters, WarmupIters = warmup, WarmupRatio = ratio, Power = power, MinLr = minLr };
        var s = new LrSchedule(cfg, 0.01);
        var reference = MmengineStepByStep(0.01, maxIters, warmup, ratio, power, minLr);
        for (int t = 0; t < maxIters; t++)
            Assert.True(Math.Abs(reference[t] - s.LearningRate(t)) <= 1e-12 * 0.01, $"iteration {t}: mmengine {reference[t]}, ours {s.LearningRate(t)}");
        if (maxIters - warmup - 1 > 0) Assert.Equal(minLr, s.LearningRate(maxIters - 1), 15); // a one-iteration PolyLR never decays
    }

    [Fact]
    public void MmcvAndMmengineDifferWhereTheIssueSaysTheyDo()
    {
        // mmengine's poly starts after the warm-up and reaches eta_min at T − 1; mmcv's warm-up scales the poly curve.
        var mmcv = new LrSchedule(Cfg with { MaxIters = 300, WarmupIters = 20 }, 0.01);
        var mmengine = new LrSchedule(Cfg with { MaxIters = 300, WarmupIters = 20, Semantics = LrSchedule.Mmengine }, 0.01);
        Assert.Equal(1e-4, mmengine.LearningRate(299), 15);
        Assert.True(mmcv.LearningRate(299) > 1.5e-4);
        Assert.Equal(0.01, mmengine.LearningRate(19), 15);
        Assert.True(mmcv.LearningRate(19) < 0.01 * 0.96);
    }

    [Fact]
    public void EachGroupIsScheduledFromItsOwnInitialLr()
    {
        // Both references schedule a group from its own initial lr: (base·mult − η)·coeff + η, not mult·((base − η)·coeff + η).
        var s = new LrSchedule(Cfg with { WarmupIters = 0 }, 0.01);
        Assert.Equal((0.1 - 1e-4) * Math.Pow(0.5, 0.9) + 1e-4, s.LearningRate(500, 0.1), 15);
    }
}
