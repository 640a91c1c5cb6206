namespace Segmenter.Data;

/// <summary>A random-access list of samples. Implementations decode lazily in <see cref="Load"/>, which must be thread-safe.</summary>
public interface ISegmentationDataset
{
    int Count { get; }
    /// <summary>The item's id (e.g. the VOC image id), without loading it.</summary>
    string IdAt(int index);
    Sample Load(int index);
}
