using Segmenter.Data;

namespace Segmenter.Tests.Data;

/// <summary>
/// The fast PhotoMetricDistortion (SIMD brightness/contrast, fmod-free hue wrap) gives the same bits as the plain
/// scalar version it replaced (kept below as the reference), for every branch: random images including the corner
/// values 0 and 255 and grey pixels (delta 0), and many seeds (each step on or off, contrast before or after).
/// </summary>
public sealed class PhotoMetricDistortionTests
{
    [Fact]
    public void SameBitsAsTheScalarReference()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 3 * (1 + rng.Next(700)); // odd pixel counts: the SIMD tail too
            var image = new float[n];
            for (int i = 0; i < n; i++)
                image[i] = rng.Next(10) switch { 0 => 0f, 1 => 255f, 2 => image[Math.Max(0, i - 1)], _ => (float)(rng.NextDouble() * 255) };
            var fast = (float[])image.Clone();
            var reference = (float[])image.Clone();
            PhotoMetricDistortion.Apply(fast, new Random(trial));
            Reference(reference, new Random(trial));
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                    $"trial {trial}, element {i}: {fast[i]:R} vs {reference[i]:R}");
        }
    }

    // The implementation before the SIMD/fmod-free rewrite, verbatim in its arithmetic.
    private static void Reference(float[] hwc, Random rng)
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
}
