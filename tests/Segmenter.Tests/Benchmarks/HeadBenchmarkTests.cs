using Segmenter.Training;
using Segmenter.Benchmarks;

namespace Segmenter.Tests.Benchmarks;

public class HeadBenchmarkTests
{
    [Fact]
    public void TinyComparisonRunsAndReportsRatios()
    {
        var o = new HeadBenchOptions { InChannels = 16, Channels = 8, KeyChannels = 4, DownFactor = (4, 4), NumClasses = 3, Iters = 1, Warmup = 1 };
        var results = HeadBenchmark.ParseSizes("64x64, 64x128").SelectMany(s => HeadBenchmark.Heads.Select(h => HeadBenchmark.Run(h, s.H, s.W, o))).ToList();
        Assert.Equal(4, results.Count);
        Assert.Equal((8L, 16L), (results[2].FeatHeight, results[2].FeatWidth));
        // ISA has one more relation block than the dense head; everything else is shared.
        using var block = new Segmenter.Models.Attention.MmsegSelfAttentionBlock(8, 4);
        Assert.Equal(block.parameters().Sum(p => p.numel()), results[0].Parameters - results[1].Parameters);
        Assert.True(results[1].AttentionMapBytes > results[0].AttentionMapBytes);
        Assert.All(results, r => Assert.True(r.Seconds > 0));
        var table = HeadBenchmark.Format(results);
        Assert.Contains("nonlocal", table);
        Assert.Contains("64x128", table);
    }

    [Fact]
    public void AttentionBytesFollowTheFactorisation()
    {
        // 769x769 at OS8 -> 97x97 feature; ISA pads to 104x104 = 13x13 blocks of 8x8.
        Assert.Equal(4L * 9409 * 9409, HeadBenchmark.AttentionMapBytes("nonlocal", 97, 97, (8, 8)));
        Assert.Equal(4L * (64 * 169 * 169 + 169 * 64 * 64), HeadBenchmark.AttentionMapBytes("isa", 97, 97, (8, 8)));
        Assert.Throws<SegmenterException>(() => HeadBenchmark.ParseSizes("769"));
    }
}
