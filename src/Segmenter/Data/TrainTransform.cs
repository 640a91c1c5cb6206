using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// The mmseg training pipeline: random keep-ratio resize (scale x ratio), random crop with cat_max_ratio,
/// horizontal flip, PhotoMetricDistortion, normalize, pad to the crop size (image 0 after normalizing, label ignore).
/// Output is always crop_size, so samples stack into batches.
/// </summary>
public sealed class TrainTransform : ISampleTransform
{
    private const int CropTries = 10;
    private readonly TrainPipelineConfig _p;
    private readonly DataConfig _d;
    private readonly int _cropH, _cropW;
    private readonly byte _ignore;

    public TrainTransform(TrainPipelineConfig p, DataConfig d)
    {
        if (p.Scale.Count != 2 || p.Scale.Any(v => v <= 0))
            throw new SegmenterException("scale must be [long, short] with positive values", "data.train_pipeline.scale", "e.g. [2048, 512]");
        if (p.RatioRange.Count is not (0 or 2) || p.RatioRange.Any(v => v <= 0))
            throw new SegmenterException("ratio_range must be [min, max] with positive values (or empty for 1)", "data.train_pipeline.ratio_range", "e.g. [0.5, 2.0]");
        if (d.Mean.Count != 3 || d.Std.Count != 3)
            throw new SegmenterException("mean and std need 3 values (RGB)", "data.mean/data.std", "e.g. mean [123.675, 116.28, 103.53]");
        if (d.IgnoreIndex is < 0 or > 255)
            throw new SegmenterException($"ignore_index {d.IgnoreIndex} is outside 0..255", "data.ignore_index", "labels are 8-bit; use 255");
        _p = p; _d = d;
        (_cropH, _cropW) = p.CropSize;
        _ignore = (byte)d.IgnoreIndex;
    }

    public TransformedSample Apply(Sample sample, Random rng) => Apply(sample, rng, times: null);

    /// <summary>As <see cref="Apply(Sample, Random)"/>, adding each step's time to <paramref name="times"/> when given.</summary>
    public TransformedSample Apply(Sample sample, Random rng, TransformStepTimes? times)
    {
        times ??= new TransformStepTimes();
        times.Start();
        var img = sample.Image;
        int h0 = img.Height, w0 = img.Width;

        // 1. RandomResize: target (long, short) * ratio, then keep-ratio fit inside it. Only index maps for now: the label
        // and the image are resampled inside the chosen crop alone.
        double ratio = _p.RatioRange.Count == 2 ? _p.RatioRange[0] + rng.NextDouble() * (_p.RatioRange[1] - _p.RatioRange[0]) : 1.0;
        double longEdge = (int)(Math.Max(_p.Scale[0], _p.Scale[1]) * ratio), shortEdge = (int)(Math.Min(_p.Scale[0], _p.Scale[1]) * ratio);
        var (nh, nw) = ImageOps.RescaleSize(h0, w0, longEdge, shortEdge);
        var ys = ImageOps.NearestSourceIndex(h0, nh);
        var xs = ImageOps.NearestSourceIndex(w0, nw);

        // 2. RandomCrop with cat_max_ratio (checked on the resized label's crop, counted on the source label).
        var (cy, cx) = RandomOffset(nh, nw, rng);
        int ch = Math.Min(_cropH, nh), cw = Math.Min(_cropW, nw);
        if (_p.CatMaxRatio < 1.0)
        {
            var counter = new ResizedLabelCounter(sample.Label.Data, w0, h0, ys, xs);
            for (int t = 0; t < CropTries; t++)
            {
                if (CropAccepted(counter, cy, cx, ch, cw)) break;
                (cy, cx) = RandomOffset(nh, nw, rng);
            }
        }
        // The output is the crop padded to crop_size: label pad = ignore, image pad = 0 after normalising.
        int oh = Math.Max(ch, _cropH), ow = Math.Max(cw, _cropW);
        var label = new byte[oh * ow];
        if (ch < oh || cw < ow) Array.Fill(label, _ignore);
        ImageOps.GatherNearest(sample.Label.Data, w0, ys, xs, cy, cx, ch, cw, label, ow);
        var image = ImageOps.ResizeBilinearWindowToChw(img, nw, nh, cy, cx, ch, cw, oh, ow);
        times.End(ref times.RescaleCrop);

        // 3. RandomFlip (horizontal).
        if (rng.NextDouble() < _p.FlipProb)
        {
            ImageOps.FlipHorizontal(image);
            ImageOps.FlipHorizontal(label, ch, cw, ow);
        }
        times.End(ref times.Flip);

        // 4. PhotoMetricDistortion.
        if (_p.PhotoMetricDistortion) PhotoMetricDistortion.Apply(image, rng);
        times.End(ref times.PhotoMetric);

        // 5. Normalize (6. the pad is already there).
        ImageOps.NormalizeInPlace(image, _d.Mean, _d.Std);
        times.End(ref times.NormalizePad);
        return new TransformedSample(sample.Id, image.Data, oh, ow, label, h0, w0);
    }

    private (int Y, int X) RandomOffset(int h, int w, Random rng) =>
        (rng.Next(Math.Max(h - _cropH, 0) + 1), rng.Next(Math.Max(w - _cropW, 0) + 1));

    /// <summary>mmseg: accept when the crop holds more than one non-ignore class and the largest has share &lt; cat_max_ratio.</summary>
    private bool CropAccepted(ResizedLabelCounter label, int y0, int x0, int h, int w)
    {
        Span<int> counts = stackalloc int[256];
        label.Count(y0, x0, h, w, counts);
        counts[_ignore] = 0;
        long total = 0; int max = 0, classes = 0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            total += c; classes++; max = Math.Max(max, c);
        }
        return classes > 1 && (double)max / total < _p.CatMaxRatio;
    }
}
