using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.Training;
using Segmenter.Tests.EndToEnd;

namespace Segmenter.Tests.Training;

public sealed class BestAndEarlyStopTests
{
    [Theory]
    [InlineData("mIoU", "auto", true)]
    [InlineData("val_loss", "auto", false)]
    [InlineData("IoU.cat", "auto", true)]
    [InlineData("val_loss", "greater", true)]
    [InlineData("mIoU", "less", false)]
    public void DirectionFollowsTheRule(string metric, string rule, bool greater) =>
        Assert.Equal(greater, ValidationMetrics.GreaterIsBetter(metric, rule));

    [Fact]
    public void MetricNamesAreCheckedBeforeTraining()
    {
        string[] classes = ["background", "cat"];
        ValidationMetrics.Check("IoU.cat", panoptic: false, classes, "train.save_best");
        ValidationMetrics.Check("IoU.1", panoptic: false, classes, "train.save_best");
        ValidationMetrics.Check("val_loss", panoptic: false, classes, "train.save_best");
        ValidationMetrics.Check("PQ_th", panoptic: true, classes, "train.save_best");
        var e = Assert.Throws<SegmenterException>(() => ValidationMetrics.Check("IoU.dog", false, classes, "train.save_best"));
        Assert.Contains("names no class", e.Message);
        Assert.Throws<SegmenterException>(() => ValidationMetrics.Check("PQ", false, classes, "train.save_best"));
        ValidationMetrics.Check("val_loss", panoptic: true, classes, "train.save_best"); // panoptic validation has a loss too
        Assert.Throws<SegmenterException>(() => ValidationMetrics.Check("IoU.cat", true, classes, "train.save_best"));
    }

    [Fact]
    public void BestMetricResolvesAutoAndMakesAFileName()
    {
        var best = BestMetric.FromConfig(new TrainConfig(), "mIoU", false, ["a"]);
        Assert.Equal(new BestMetric("mIoU", true), best);
        var loss = BestMetric.FromConfig(new TrainConfig { SaveBest = "val_loss" }, "mIoU", false, ["a"]);
        Assert.False(loss.GreaterIsBetter);
        Assert.Equal("IoU.potted_plant", new BestMetric("IoU.potted plant", true).FileName);
    }

    [Fact]
    public void NewKeysHaveDefaultsAndSurviveTheYamlRoundTrip()
    {
        var plain = ConfigLoader.Load(SynthData.SmokeConfig);
        Assert.True(plain.Train.Tensorboard);
        Assert.Equal(("auto", "auto"), (plain.Train.SaveBest, plain.Train.SaveBestRule));
        Assert.Null(plain.Train.EarlyStop);
        var yaml = ConfigWriter.ToYaml(plain);
        Assert.Contains("tensorboard: true", yaml);
        Assert.Contains("save_best_rule: auto", yaml);

        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, ["train.save_best=IoU.cat", "train.save_best_rule=greater",
            "train.early_stop.metric=val_loss", "train.early_stop.patience=3", "train.tensorboard=false"]);
        var path = Path.Combine(TestPaths.NewTempDir("cfg_rt"), "config.yaml");
        File.WriteAllText(path, ConfigWriter.ToYaml(cfg));
        var back = ConfigLoader.Load(path);
        Assert.Equal(cfg.Train, back.Train);
        Assert.Equal(cfg.Train.EarlyStop, back.Train.EarlyStop);
        Assert.False(back.Train.Tensorboard);

        var e = Assert.Throws<SegmenterException>(() => ConfigLoader.Load(SynthData.SmokeConfig, ["train.save_best_rule=max"]));
        Assert.Contains("train.save_best_rule", e.Message);
        Assert.Throws<SegmenterException>(() => ConfigLoader.Load(SynthData.SmokeConfig, ["train.early_stop.patience=0"]));
    }

    [Fact]
    public void EarlyStoppingCountsValidationsWithoutImprovement()
    {
        var stop = new EarlyStopping("mIoU", patience: 2, minDelta: 0.01, greaterIsBetter: true);
        Assert.False(stop.Update(M(0.50)));  // first = best
        Assert.False(stop.Update(M(0.505))); // +0.005 < min_delta: stale 1
        Assert.False(stop.Update(M(0.60)));  // improved: stale 0
        Assert.False(stop.Update(M(double.NaN)));
        Assert.True(stop.Update(M(0.59)));
        Assert.Equal(2, stop.Stale);
        Assert.Equal(0.60, stop.Best);
        Assert.Contains("has not improved for 2 validations", stop.Reason(40));

        var loss = new EarlyStopping("val_loss", 1, 0, greaterIsBetter: false);
        Assert.False(loss.Update(new Dictionary<string, double> { ["val_loss"] = 1.0 }));
        Assert.False(loss.Update(new Dictionary<string, double> { ["val_loss"] = 0.9 }));
        Assert.True(loss.Update(new Dictionary<string, double> { ["val_loss"] = 0.95 }));

        static Dictionary<string, double> M(double v) => new() { ["mIoU"] = v };
    }
}
