using Segmenter.Training;
using Segmenter.Training.Distributed;
using static Segmenter.Tests.Config.ConfigTestSupport;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>The pieces of issue 26 that need no cluster: the two config keys, the wall-clock checkpoint, reading SLURM_*.</summary>
public sealed class PreemptionSettingsTests
{
    [Theory]
    [InlineData("train.requeue_signal=USR1", "train.requeue_signal is USR1", "none, SIGUSR1, SIGUSR2")]
    [InlineData("train.checkpoint_every_minutes=-1", "train.checkpoint_every_minutes is -1", "minutes >= 0")]
    public void BadValuesNameTheKeyAndTheFix(string option, string what, string allowed)
    {
        var message = LoadError("", option);
        Assert.StartsWith("test.yaml: ", message);
        Assert.Contains(what, message);
        Assert.Contains(allowed, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void CheckpointClockIsDueAfterItsMinutesAndRestartsOnSave()
    {
        var now = TimeSpan.Zero;
        var clock = new CheckpointClock(2, () => now);
        Assert.False(clock.IsDue);
        now = TimeSpan.FromSeconds(119);
        Assert.False(clock.IsDue);
        now = TimeSpan.FromMinutes(2);
        Assert.True(clock.IsDue);
        clock.Saved();
        Assert.False(clock.IsDue);
        now += TimeSpan.FromMinutes(2.5);
        Assert.True(clock.IsDue);

        var off = new CheckpointClock(0, () => now);
        now += TimeSpan.FromDays(1);
        Assert.False(off.IsDue);
    }

    [Fact]
    public void SlurmJobComesFromTheJobVariables()
    {
        Assert.Null(SlurmJob.Detect(_ => null));
        var first = SlurmJob.Detect(new Dictionary<string, string> { ["SLURM_JOB_ID"] = "4711", ["SLURM_JOB_NAME"] = "seg" }.GetValueOrDefault);
        Assert.Equal(new SlurmJob("4711", 0, "seg"), first);
        var requeued = SlurmJob.Detect(new Dictionary<string, string> { ["SLURM_JOBID"] = "12", ["SLURM_RESTART_COUNT"] = "3" }.GetValueOrDefault);
        Assert.Equal(new SlurmJob("12", 3, null), requeued);
    }

    [Fact]
    public void RequeueOutsideSlurmFailsWithALineNotAnException()
    {
        Assert.False(new SlurmJob("1", 0, null).Requeue(scontrol: "/nonexistent/scontrol"));
    }
}
