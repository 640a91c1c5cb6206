using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Tests.Data;
using Segmenter.Training.Parallel;
using Xunit;

namespace Segmenter.Tests.Training.Distributed;

/// <summary>The ranks' slices of a global batch (<see cref="BatchLoader.Part"/>), concatenated in rank order, are the whole batch, bit for bit.</summary>
public sealed class BatchPartTests
{
    [Theory]
    [InlineData(4, 2)]
    [InlineData(5, 3)] // uneven 2/2/1
    public void SlicesConcatenateToTheGlobalBatch(int batch, int ranks)
    {
        var cfg = DataTestKit.SmallPipeline(new DataConfig(), crop: 16);
        var ds = new MemoryDataset(12);
        var whole = new BatchLoader(ds, new TrainTransform(cfg.TrainPipeline, cfg), batch, seed: 3, numWorkers: 0);
        foreach (long it in new long[] { 0, 3, 7 })
        {
            var expected = whole.GetBatch(it);
            var parts = BatchSplit.Ranges(batch, ranks)
                .Select(r => new BatchLoader(ds, new TrainTransform(cfg.TrainPipeline, cfg), batch, seed: 3, numWorkers: 0) { Part = r }.GetBatch(it))
                .ToList();
            Assert.Equal(expected.Ids, parts.SelectMany(p => p.Ids));
            Assert.Equal(expected.Images, parts.SelectMany(p => p.Images));
            Assert.Equal(expected.Labels, parts.SelectMany(p => p.Labels));
            Assert.Equal(batch, parts.Sum(p => p.N));
        }
    }
}
