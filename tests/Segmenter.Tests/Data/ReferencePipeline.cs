using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// The train and test pipelines as they were before the speed work of issue #17 (interleaved HWC floats, the whole label
/// resized before cropping, scalar loops with indexes, fmod in the hue wrap), kept verbatim in their arithmetic as the
/// reference that the fast code must equal bit for bit.
/// </summary>
internal static class ReferencePipeline
{
    public static TransformedSample Train(TrainPipelineConfig p, DataConfig d, Sample sample, Random rng)
    {
        var img = sample.Image;
        int h0 = img.Height, w0 = img.Width;
        (int cropH, int cropW) = p.CropSize;
        byte ignore = (byte)d.IgnoreIndex;
        double ratio = p.RatioRange.Count == 2 ? p.RatioRange[0] + rng.NextDouble() * (p.RatioRange[1] - p.RatioRange[0]) : 1.0;
        double longEdge = (int)(Math.Max(p.Scale[0], p.Scale[1]) * ratio), shortEdge = (int)(Math.Min(p.Scale[0], p.Scale[1]) * ratio);
        var (nh, nw) = ImageOps.RescaleSize(h0, w0, longEdge, shortEdge);
        var label = ResizeNearest(sample.Label.Data, w0, h0, nw, nh);
        (int, int) Offset() => (rng.Next(Math.Max(nh - cropH, 0) + 1), rng.Next(Math.Max(nw - cropW, 0) + 1));
        var (cy, cx) = Offset();
        int ch = Math.Min(cropH, nh), cw = Math.Min(cropW, nw);
        if (p.CatMaxRatio < 1.0)
            for (int t = 0; t < 10; t++)
            {
                if (CropAccepted(label, nw, cy, cx, ch, cw, ignore, p.CatMaxRatio)) break;
                (cy, cx) = Offset();
            }
        var labelCrop = new byte[ch * cw];
        for (int y = 0; y < ch; y++) Array.Copy(label, (cy + y) * nw + cx, labelCrop, y * cw, cw);
        var image = ResizeBilinearWindow(img, nw, nh, cy, cx, ch, cw);
        if (rng.NextDouble() < p.FlipProb)
        {
            FlipHorizontal(image, ch, cw, 3);
            FlipHorizontal(labelCrop, ch, cw, 1);
        }
        if (p.PhotoMetricDistortion) PhotoMetric(image, rng);
        int oh = Math.Max(ch, cropH), ow = Math.Max(cw, cropW);
        var chw = NormalizeToChw(image, ch, cw, d.Mean, d.Std, oh, ow);
        var outLabel = new byte[oh * ow];
        Array.Fill(outLabel, ignore);
        for (int y = 0; y < ch; y++) Array.Copy(labelCrop, y * cw, outLabel, y * ow, cw);
        return new TransformedSample(sample.Id, chw, oh, ow, outLabel, h0, w0);
    }

    public static float[] Test(DataConfig d, RgbImage img)
    {
        int h = img.Height, w = img.Width;
        if (d.TestPipeline.Scale is { } s) (h, w) = ImageOps.RescaleSize(img.Height, img.Width, Math.Max(s[0], s[1]), Math.Min(s[0], s[1]));
        return NormalizeToChw(ResizeBilinearWindow(img, w, h, 0, 0, h, w), h, w, d.Mean, d.Std, h, w);
    }

    public static byte[] ResizeNearest(byte[] src, int srcW, int srcH, int dstW, int dstH)
    {
        if (srcW == dstW && srcH == dstH) return (byte[])src.Clone();
        var xs = new int[dstW];
        double sx = (double)srcW / dstW, sy = (double)srcH / dstH;
        for (int x = 0; x < dstW; x++) xs[x] = Math.Min((int)((x + 0.5) * sx), srcW - 1);
        var dst = new byte[dstW * dstH];
        for (int y = 0; y < dstH; y++)
        {
            int srow = Math.Min((int)((y + 0.5) * sy), srcH - 1) * srcW;
            for (int x = 0; x < dstW; x++) dst[y * dstW + x] = src[srow + xs[x]];
        }
        return dst;
    }

    private static bool CropAccepted(byte[] label, int w, int y0, int x0, int h, int cw, byte ignore, double catMaxRatio)
    {
        var counts = new int[256];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < cw; x++) counts[label[(y0 + y) * w + x0 + x]]++;
        counts[ignore] = 0;
        long total = 0; int max = 0, classes = 0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            total += c; classes++; max = Math.Max(max, c);
        }
        return classes > 1 && (double)max / total < catMaxRatio;
    }

    /// <summary>Float HWC RGB window (y0, x0, h, w) of the bilinear resize to dstW x dstH.</summary>
    public static float[] ResizeBilinearWindow(RgbImage image, int dstW, int dstH, int y0, int x0, int h, int w)
    {
        int sw = image.Width, sh = image.Height;
        var src = image.Data;
        var dst = new float[h * w * 3];
        if (sw == dstW && sh == dstH)
        {
            for (int y = 0; y < h; y++)
            {
                int s = ((y0 + y) * sw + x0) * 3, d = y * w * 3;
                for (int i = 0; i < w * 3; i++) dst[d + i] = src[s + i];
            }
            return dst;
        }
        double scx = (double)sw / dstW, scy = (double)sh / dstH;
        var xa = new int[w]; var xb = new int[w]; var fx = new float[w];
        for (int x = 0; x < w; x++) Coord(x0 + x, scx, sw, out xa[x], out xb[x], out fx[x]);
        for (int y = 0; y < h; y++)
        {
            Coord(y0 + y, scy, sh, out int ya, out int yb, out float fy);
            int ra = ya * sw * 3, rb = yb * sw * 3, d = y * w * 3;
            for (int x = 0; x < w; x++)
            {
                int a = xa[x] * 3, b = xb[x] * 3;
                float wx = fx[x];
                for (int c = 0; c < 3; c++)
                {
                    float top = src[ra + a + c] + (src[ra + b + c] - src[ra + a + c]) * wx;
                    float bot = src[rb + a + c] + (src[rb + b + c] - src[rb + a + c]) * wx;
                    dst[d + x * 3 + c] = top + (bot - top) * fy;
                }
            }
        }
        return dst;
    }

    private static void Coord(int dstIndex, double scale, int srcSize, out int i0, out int i1, out float frac)
    {
        double s = (dstIndex + 0.5) * scale - 0.5;
        if (s < 0) s = 0;
        i0 = Math.Min((int)s, srcSize - 1);
        i1 = Math.Min(i0 + 1, srcSize - 1);
        frac = (float)(s - i0);
        if (i0 == srcSize - 1) frac = 0;
    }

    private static void FlipHorizontal<T>(T[] data, int h, int w, int channels)
    {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w / 2; x++)
            {
                int a = (y * w + x) * channels, b = (y * w + w - 1 - x) * channels;
                for (int c = 0; c < channels; c++) (data[a + c], data[b + c]) = (data[b + c], data[a + c]);
            }
    }

    private static float[] NormalizeToChw(float[] hwc, int h, int w, IReadOnlyList<double> mean, IReadOnlyList<double> std, int outH, int outW)
    {
        var chw = new float[3 * outH * outW];
        for (int c = 0; c < 3; c++)
        {
            float m = (float)mean[c], inv = (float)(1.0 / std[c]);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) chw[c * outH * outW + y * outW + x] = (hwc[(y * w + x) * 3 + c] - m) * inv;
        }
        return chw;
    }

    /// <summary>PhotoMetricDistortion on float HWC RGB, as first written (scalar, fmod hue wrap).</summary>
    public static void PhotoMetric(float[] hwc, Random rng)
    {
        float? brightness = rng.Next(2) == 1 ? (float)(-32 + rng.NextDouble() * 64) : null;
        bool contrastFirst = rng.Next(2) == 1;
        float? contrast = rng.Next(2) == 1 ? (float)(0.5 + rng.NextDouble() * 1.0) : null;
        float? saturation = rng.Next(2) == 1 ? (float)(0.5 + rng.NextDouble() * 1.0) : null;
        int? hue = rng.Next(2) == 1 ? rng.Next(-18, 18) : null;
        if (brightness is { } b) Affine(hwc, 1f, b);
        if (contrastFirst && contrast is { } c1) Affine(hwc, c1, 0f);
        if (saturation is not null || hue is not null) SaturationHue(hwc, saturation ?? 1f, (hue ?? 0) * 2f);
        if (!contrastFirst && contrast is { } c2) Affine(hwc, c2, 0f);
    }

    private static void Affine(float[] x, float alpha, float beta)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i] * alpha + beta, 0f, 255f);
    }

    private static void SaturationHue(float[] x, float satScale, float hueShift)
    {
        for (int i = 0; i < x.Length; i += 3)
        {
            float r = x[i], g = x[i + 1], b = x[i + 2];
            float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), delta = max - min;
            float v = max;
            float s = max > 0 ? delta / max : 0;
            float h = 0;
            if (delta > 0)
            {
                if (max == r) h = 60f * ((g - b) / delta);
                else if (max == g) h = 60f * ((b - r) / delta + 2f);
                else h = 60f * ((r - g) / delta + 4f);
            }
            s = Math.Min(s * satScale, 1f);
            h = (h + hueShift) % 360f;
            if (h < 0) h += 360f;
            float chroma = v * s, hp = h / 60f, xx = chroma * (1 - Math.Abs(hp % 2 - 1)), m = v - chroma;
            float rr, gg, bb;
            switch ((int)hp)
            {
                case 0: (rr, gg, bb) = (chroma, xx, 0); break;
                case 1: (rr, gg, bb) = (xx, chroma, 0); break;
                case 2: (rr, gg, bb) = (0, chroma, xx); break;
                case 3: (rr, gg, bb) = (0, xx, chroma); break;
                case 4: (rr, gg, bb) = (xx, 0, chroma); break;
                default: (rr, gg, bb) = (chroma, 0, xx); break;
            }
            x[i] = rr + m; x[i + 1] = gg + m; x[i + 2] = bb + m;
        }
    }

    /// <summary>Interleaved HWC floats as a <see cref="ChwImage"/> at the top left of planes of planeH x planeW.</summary>
    public static ChwImage ToChw(float[] hwc, int h, int w, int planeH, int planeW)
    {
        var image = ChwImage.Allocate(h, w, planeH, planeW);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) image.Row(c, y)[x] = hwc[(y * w + x) * 3 + c];
        return image;
    }

    /// <summary>Asserts equal bits element by element.</summary>
    public static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}, element {i}: {actual[i]:R} vs {expected[i]:R}");
    }
}
