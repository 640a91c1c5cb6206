namespace Segmenter.Data;

/// <summary>
/// Every <c>count</c>-th item of a dataset starting at <c>index</c> (rank r of N evaluates items r, r+N, ...): the
/// shards are disjoint and together hold every item exactly once, so per-shard metric areas sum to the whole set's.
/// </summary>
public sealed class ShardedDataset(ISegmentationDataset inner, int index, int count) : ISegmentationDataset
{
    public int Count { get; } = inner.Count <= index ? 0 : (inner.Count - index + count - 1) / count;
    public string IdAt(int i) => inner.IdAt(Inner(i));
    public Sample Load(int i) => inner.Load(Inner(i));

    private int Inner(int i) => (i < 0 || i >= Count) ? throw new ArgumentOutOfRangeException(nameof(i)) : index + i * count;
}
