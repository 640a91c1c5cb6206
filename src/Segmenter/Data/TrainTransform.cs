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

    public TransformedSample Apply(Sample sample, Random rng)
    {
        var img = sample.Image;
        int h0 = img.Height, w0 = img.Width;

        // 1. RandomResize: target (long, short) * ratio, then keep-ratio fit inside it.
        double ratio = _p.RatioRange.Count == 2 ? _p.RatioRange[0] + rng.NextDouble() * (_p.RatioRange[1] - _p.RatioRange[0]) : 1.0;
        double longEdge = (int)(Math.Max(_p.Scale[0], _p.Scale[1]) * ratio), shortEdge = (int)(Math.Min(_p.Scale[0], _p.Scale[1]) * ratio);
        var (nh, nw) = ImageOps.RescaleSize(h0, w0, longEdge, shortEdge);
        var label = ImageOps.ResizeNearest(sample.Label.Data, w0, h0, nw, nh);

        // 2. RandomCrop with cat_max_ratio (checked on the label; the image is resampled only inside the crop).
        var (cy, cx) = RandomOffset(nh, nw, rng);
        int ch = Math.Min(_cropH, nh), cw = Math.Min(_cropW, nw);
        if (_p.CatMaxRatio < 1.0)
        {
            for (int t = 0; t < CropTries; t++)
            {
                if (CropAccepted(label, nw, cy, cx, ch, cw)) break;
                (cy, cx) = RandomOffset(nh, nw, rng);
            }
        }
        var labelCrop = new byte[ch * cw];
        for (int y = 0; y < ch; y++) Array.Copy(label, (cy + y) * nw + cx, labelCrop, y * cw, cw);
        var image = ImageOps.ResizeBilinearWindow(img, nw, nh, cy, cx, ch, cw);

        // 3. RandomFlip (horizontal).
        if (rng.NextDouble() < _p.FlipProb)
        {
            ImageOps.FlipHorizontal(image, ch, cw, 3);
            ImageOps.FlipHorizontal(labelCrop, ch, cw, 1);
        }

        // 4. PhotoMetricDistortion.
        if (_p.PhotoMetricDistortion) PhotoMetricDistortion.Apply(image, rng);

        // 5. Normalize, 6. Pad to crop size.
        int oh = Math.Max(ch, _cropH), ow = Math.Max(cw, _cropW);
        var chw = ImageOps.NormalizeToChw(image, ch, cw, _d.Mean, _d.Std, oh, ow);
        var outLabel = new byte[oh * ow];
        Array.Fill(outLabel, _ignore);
        for (int y = 0; y < ch; y++) Array.Copy(labelCrop, y * cw, outLabel, y * ow, cw);
        return new TransformedSample(sample.Id, chw, oh, ow, outLabel, h0, w0);
    }

    private (int Y, int X) RandomOffset(int h, int w, Random rng) =>
        (rng.Next(Math.Max(h - _cropH, 0) + 1), rng.Next(Math.Max(w - _cropW, 0) + 1));

    /// <summary>mmseg: accept when the crop holds more than one non-ignore class and the largest has share &lt; cat_max_ratio.</summary>
    private bool CropAccepted(byte[] label, int w, int y0, int x0, int h, int cw)
    {
        Span<int> counts = stackalloc int[256];
        for (int y = 0; y < h; y++)
        {
            int row = (y0 + y) * w + x0;
            for (int x = 0; x < cw; x++) counts[label[row + x]]++;
        }
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
