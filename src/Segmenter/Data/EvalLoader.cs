namespace Segmenter.Data;

/// <summary>The dataset in order through the test transform, one sample at a time (sizes differ), prepared on worker threads.</summary>
public sealed class EvalLoader
{
    private readonly ISegmentationDataset _dataset;
    private readonly ISampleTransform _transform;
    private readonly int _numWorkers, _prefetch;

    public EvalLoader(ISegmentationDataset dataset, ISampleTransform transform, int numWorkers = 2, int prefetch = 4)
    {
        _dataset = dataset; _transform = transform;
        _numWorkers = Math.Max(0, numWorkers); _prefetch = Math.Max(1, prefetch);
    }

    public int Count => _dataset.Count;

    /// <summary>Samples 0..Count-1 in order; disposing the enumerator early stops the workers.</summary>
    public IEnumerable<TransformedSample> Iterate() =>
        OrderedWorkers.Run(0, _dataset.Count, i => _transform.Apply(_dataset.Load((int)i), new Random(0)), _numWorkers, _prefetch, "segmenter-eval-loader");
}
