using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// Evaluation pipeline: keep-ratio resize to test_pipeline.scale (none when null) and normalize. The label stays at
/// the original size, and OrigHeight/OrigWidth say where to resize the prediction back to.
/// </summary>
public sealed class TestTransform : ISampleTransform
{
    private readonly DataConfig _d;

    public TestTransform(DataConfig d)
    {
        if (d.TestPipeline.Scale is { } s && (s.Count != 2 || s.Any(v => v <= 0)))
            throw new SegmenterException("scale must be [long, short] with positive values, or null", "data.test_pipeline.scale", "e.g. [2048, 512]");
        if (d.Mean.Count != 3 || d.Std.Count != 3)
            throw new SegmenterException("mean and std need 3 values (RGB)", "data.mean/data.std", "e.g. mean [123.675, 116.28, 103.53]");
        _d = d;
    }

    /// <summary>Deterministic; <paramref name="rng"/> is not used.</summary>
    public TransformedSample Apply(Sample sample, Random rng) => Apply(sample);

    public TransformedSample Apply(Sample sample)
    {
        var img = sample.Image;
        int h = img.Height, w = img.Width;
        if (_d.TestPipeline.Scale is { } s) (h, w) = ImageOps.RescaleSize(img.Height, img.Width, Math.Max(s[0], s[1]), Math.Min(s[0], s[1]));
        var chw = ImageOps.ResizeBilinearWindowToChw(img, w, h, 0, 0, h, w, h, w);
        ImageOps.NormalizeInPlace(chw, _d.Mean, _d.Std);
        return new TransformedSample(sample.Id, chw.Data, h, w, sample.Label.Data, img.Height, img.Width);
    }
}
