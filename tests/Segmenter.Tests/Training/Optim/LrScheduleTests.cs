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
}
