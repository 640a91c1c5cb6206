using Segmenter.Config;
using Segmenter.Data;

namespace Segmenter.Tests.Data;

public class LoaderTests
{
    private static readonly DataConfig Cfg = DataTestKit.SmallPipeline(new DataConfig(), crop: 24);
    private static readonly MemoryDataset Ds = new(10);
    private static TrainTransform Train => new(Cfg.TrainPipeline, Cfg);

    private static void AssertSame(Batch a, Batch b)
    {
        Assert.Equal(a.Iteration, b.Iteration);
        Assert.Equal(a.Ids, b.Ids);
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal((a.N, a.Height, a.Width), (b.N, b.Height, b.Width));
    }

    [Fact]
    public void ResumingGivesTheSameBatches()
    {
        var loader = new BatchLoader(Ds, Train, batchSize: 3, seed: 42, numWorkers: 2, prefetch: 2);
        Assert.Equal(3, loader.ItersPerEpoch);
        var fromZero = loader.Iterate(0).Take(7).ToList();
        var fromFour = loader.Iterate(4).Take(3).ToList();
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), fromZero.Select(b => b.Iteration));
        for (int i = 0; i < 3; i++) AssertSame(fromZero[4 + i], fromFour[i]);
        AssertSame(fromZero[5], new BatchLoader(Ds, Train, 3, 42, 0, 1).GetBatch(5));
    }

    [Fact]
    public void WorkerCountDoesNotChangeBatches()
    {
        var one = new BatchLoader(Ds, Train, 3, 7, numWorkers: 1, prefetch: 1).Iterate(2).Take(5).ToList();
        var three = new BatchLoader(Ds, Train, 3, 7, numWorkers: 3, prefetch: 6).Iterate(2).Take(5).ToList();
        for (int i = 0; i < 5; i++) AssertSame(one[i], three[i]);
    }

    [Fact]
    public void EpochsArePermutationsDroppingTheLastPartialBatch()
    {
        var loader = new BatchLoader(Ds, Train, 3, 1, 2, 2);
        var batches = loader.Iterate(0).Take(6).ToList();
        var epoch0 = batches.Take(3).SelectMany(b => b.Ids).ToList();
        var epoch1 = batches.Skip(3).SelectMany(b => b.Ids).ToList();
        Assert.Equal(9, epoch0.Distinct().Count());
        Assert.Equal(9, epoch1.Distinct().Count());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(loader.OrderOf(0).Take(9).Select(Ds.IdAt), epoch0);
        var other = new BatchLoader(Ds, Train, 3, 2, 0, 1).GetBatch(0);
        Assert.False(other.Ids.SequenceEqual(batches[0].Ids) && other.Images.SequenceEqual(batches[0].Images));
    }

    [Fact]
    public void BatchShapesAndTensors()
    {
        var b = new BatchLoader(Ds, Train, 2, 3, 0, 1).GetBatch(0);
        Assert.Equal((2, 24, 24), (b.N, b.Height, b.Width));
        Assert.Equal(2 * 3 * 24 * 24, b.Images.Length);
        Assert.Equal(2 * 24 * 24, b.Labels.Length);
        var (images, labels) = b.ToTensors(TorchSharp.torch.CPU);
        using (images) using (labels)
        {
            Assert.Equal(new long[] { 2, 3, 24, 24 }, images.shape);
            Assert.Equal(new long[] { 2, 24, 24 }, labels.shape);
            Assert.Equal(TorchSharp.torch.ScalarType.Int64, labels.dtype);
            Assert.Equal(b.Labels[100], labels.view(-1)[100].item<long>());
            Assert.Equal(b.Images[1000], images.view(-1)[1000].item<float>());
        }
    }

    [Fact]
    public void DatasetSmallerThanBatchIsAClearError()
    {
        var e = Assert.Throws<SegmenterException>(() => new BatchLoader(new MemoryDataset(3), Train, 4, 0));
        Assert.Contains("fewer than batch_size 4", e.Message);
    }

    [Fact]
    public void WorkerErrorsSurfaceAtTheirBatchAndDisposeStopsWorkers()
    {
        var ds = new FailingDataset(new MemoryDataset(10), failAt: 7);
        var loader = new BatchLoader(ds, Train, 2, 0, numWorkers: 2, prefetch: 2);
        int seen = 0;
        var e = Assert.Throws<SegmenterException>(() => { foreach (var _ in loader.Iterate(0)) seen++; });
        Assert.Contains("boom", e.Message);
        Assert.True(seen < 5);
        // Breaking out early returns promptly (workers are cancelled and joined).
        foreach (var _ in new BatchLoader(Ds, Train, 2, 0, 3, 3).Iterate(0)) break;
    }

    [Fact]
    public void EvalLoaderKeepsOrderAndOriginalLabels()
    {
        var t = new TestTransform(Cfg);
        var items = new EvalLoader(Ds, t, numWorkers: 3, prefetch: 2).Iterate().ToList();
        Assert.Equal(Enumerable.Range(0, Ds.Count).Select(Ds.IdAt), items.Select(i => i.Id));
        for (int i = 0; i < Ds.Count; i++)
        {
            var s = Ds.Load(i);
            Assert.Equal(s.Label.Data, items[i].Label);
            Assert.Equal((s.Image.Height, s.Image.Width), (items[i].OrigHeight, items[i].OrigWidth));
            Assert.Equal(t.Apply(s).Image, items[i].Image);
        }
        using var tensor = items[0].ImageTensor();
        Assert.Equal(new long[] { 1, 3, items[0].Height, items[0].Width }, tensor.shape);
    }

    private sealed class FailingDataset(ISegmentationDataset inner, int failAt) : ISegmentationDataset
    {
        public int Count => inner.Count;
        public string IdAt(int index) => inner.IdAt(index);
        public Sample Load(int index) => index == failAt ? throw new SegmenterException("boom", $"item {index}") : inner.Load(index);
    }
}
