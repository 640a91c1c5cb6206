using Segmenter.Config;
using Segmenter.Training;
using Segmenter.Training.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training.Parallel;

public sealed class DeviceListTests
{
    [Fact]
    public void CpuRepeatsForEveryReplica()
    {
        var devices = DeviceSelector.ParseList("cpu", 3);
        Assert.Equal(3, devices.Count);
        Assert.All(devices, d => Assert.Equal(DeviceType.CPU, d.type));
        Assert.Equal(DeviceType.CPU, DeviceSelector.Parse("cpu").type);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    [InlineData("cuda:0,1,2,3")]
    public void CudaWithoutCudaIsAClearError(string spec)
    {
        if (torch.cuda.is_available()) return; // this check is about machines without CUDA
        var e = Assert.Throws<SegmenterException>(() => DeviceSelector.ParseList(spec, 1));
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Contains("--device", e.Message);
    }

    [Fact]
    public void UnknownDeviceAndBadReplicaCountAreErrors()
    {
        Assert.Throws<SegmenterException>(() => DeviceSelector.ParseList("tpu", 1));
        Assert.Throws<SegmenterException>(() => DeviceSelector.ParseList("cpu", 0));
    }

    [Fact]
    public void ConfigAcceptsDeviceListsReplicasAndAmp()
    {
        var path = Path.Combine(TestPaths.Configs, "smoke_voc.yaml");
        var cfg = ConfigLoader.Load(path, ["train.device=cuda:0,1", "train.replicas=2", "train.sync_bn=true", "train.amp=bf16"]);
        Assert.Equal("cuda:0,1", cfg.Train.Device);
        Assert.Equal(2, cfg.Train.Replicas);
        Assert.True(cfg.Train.SyncBn);
        Assert.Equal("bf16", cfg.Train.Amp);
        Assert.Throws<SegmenterException>(() => ConfigLoader.Load(path, ["train.amp=fp8"]));
        Assert.Throws<SegmenterException>(() => ConfigLoader.Load(path, ["train.replicas=0"]));
        Assert.Throws<SegmenterException>(() => ConfigLoader.Load(path, ["train.device=cuda:0,x"]));
    }

    [Fact]
    public void BatchSplitIsEvenAndCoversTheBatch()
    {
        Assert.Equal([(0, 3), (3, 2)], BatchSplit.Ranges(5, 2));
        Assert.Equal([(0, 2), (2, 2), (4, 1), (5, 1)], BatchSplit.Ranges(6, 4));
        Assert.Throws<SegmenterException>(() => BatchSplit.Ranges(1, 2));
    }
}
