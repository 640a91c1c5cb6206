namespace Segmenter.Data;

/// <summary>A per-sample pipeline. Pure given the sample and the random generator, so loaders can run it on any thread.</summary>
public interface ISampleTransform
{
    TransformedSample Apply(Sample sample, Random rng);
}
