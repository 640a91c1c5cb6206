namespace Segmenter.Data;

/// <summary>
/// Deterministic, resumable, threaded training batches. The batch at iteration <c>it</c> is a pure function of
/// (seed, it): epoch e = it / ItersPerEpoch (last incomplete batch dropped), the order of epoch e is a permutation
/// seeded by (seed, e), and the augmentation generator of a sample by (seed, e, position in epoch). So resuming at
/// any iteration, or changing num_workers, gives the same batches.
/// </summary>
public sealed class BatchLoader
{
    private const long PermutationDomain = 0x5045524D, AugmentDomain = 0x41554745;
    private readonly ISegmentationDataset _dataset;
    private readonly ISampleTransform _transform;
    private readonly long _seed;
    private readonly int _numWorkers, _prefetch;
    private readonly object _permLock = new();
    private (long Epoch, int[] Order)? _lastPermutation;

    public BatchLoader(ISegmentationDataset dataset, ISampleTransform transform, int batchSize, long seed, int numWorkers = 2, int prefetch = 4)
    {
        if (batchSize <= 0) throw new SegmenterException($"batch_size {batchSize} must be positive", "data.batch_size", "e.g. 16");
        if (dataset.Count < batchSize)
            throw new SegmenterException($"the dataset has {dataset.Count} samples, fewer than batch_size {batchSize}", "data.batch_size",
                "lower data.batch_size or add training images");
        _dataset = dataset; _transform = transform;
        BatchSize = batchSize; _seed = seed;
        _numWorkers = Math.Max(0, numWorkers); _prefetch = Math.Max(1, prefetch);
        ItersPerEpoch = dataset.Count / batchSize;
    }

    public int BatchSize { get; }

    /// <summary>
    /// Multi-process training: this rank's [Start, Start + Count) slice of every global batch (which stays the same
    /// function of (seed, iteration)); null = the whole batch.
    /// </summary>
    public (int Start, int Count)? Part { get; init; }

    /// <summary>Builds the task's extra targets of each transformed sample on the worker threads (panoptic); null = labels only.</summary>
    public Func<TransformedSample, PanopticTargets>? Targets { get; init; }
    public int ItersPerEpoch { get; }

    /// <summary>Batches for it = start, start+1, ... forever; dispose the enumerator (or break out of foreach) to stop the workers.</summary>
    public IEnumerable<Batch> Iterate(long startIteration = 0)
    {
        if (startIteration < 0) throw new ArgumentOutOfRangeException(nameof(startIteration));
        return OrderedWorkers.Run(startIteration, null, GetBatch, _numWorkers, _prefetch, "segmenter-train-loader");
    }

    /// <summary>Builds the batch of one iteration on the calling thread.</summary>
    public Batch GetBatch(long iteration)
    {
        long epoch = iteration / ItersPerEpoch;
        int first = (int)(iteration % ItersPerEpoch) * BatchSize;
        var order = OrderOf(epoch);
        var (partStart, n) = Part ?? (0, BatchSize);
        var ids = new string[n];
        var targets = Targets is null ? null : new PanopticTargets[n];
        float[]? images = null; long[]? labels = null;
        int h = 0, w = 0;
        for (int k = 0; k < n; k++)
        {
            int position = first + partStart + k;
            var rng = new Random(SeedMixer.RandomSeed(AugmentDomain, _seed, epoch, position));
            var s = _transform.Apply(_dataset.Load(order[position]), rng);
            if (images is null)
            {
                (h, w) = (s.Height, s.Width);
                images = new float[n * 3 * h * w];
                labels = new long[n * h * w];
            }
            else if (s.Height != h || s.Width != w || s.Label.Length != h * w)
                throw new InvalidOperationException($"sample {s.Id} is {s.Height}x{s.Width} but the batch is {h}x{w}; the training transform must give fixed-size outputs");
            ids[k] = s.Id;
            if (targets is not null) targets[k] = Targets!(s);
            Array.Copy(s.Image, 0, images, k * 3 * h * w, s.Image.Length);
            for (int i = 0; i < h * w; i++) labels![k * h * w + i] = s.Label[i];
        }
        return new Batch(iteration, ids, images!, labels!, n, h, w) { Panoptic = targets };
    }

    /// <summary>The dataset indices of epoch <paramref name="epoch"/>, in order.</summary>
    public int[] OrderOf(long epoch)
    {
        lock (_permLock)
        {
            if (_lastPermutation is { } last && last.Epoch == epoch) return last.Order;
        }
        var order = SeedMixer.Permutation(_dataset.Count, SeedMixer.Mix(PermutationDomain, _seed, epoch));
        lock (_permLock) _lastPermutation = (epoch, order);
        return order;
    }
}
