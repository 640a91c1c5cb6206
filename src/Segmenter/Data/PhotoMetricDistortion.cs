namespace Segmenter.Data;

/// <summary>
/// mmseg PhotoMetricDistortion on float RGB (0..255): brightness ±32, contrast 0.5–1.5 (before or after the colour
/// steps, chosen at random), saturation 0.5–1.5, hue ±18 (OpenCV half-degrees, i.e. ±36°); each step with probability 1/2.
/// </summary>
public static class PhotoMetricDistortion
{
    public const double BrightnessDelta = 32, ContrastLower = 0.5, ContrastUpper = 1.5, SaturationLower = 0.5, SaturationUpper = 1.5;
    public const int HueDelta = 18;

    public static void Apply(float[] hwc, Random rng)
    {
        // Draw every decision first, in a fixed order, so the outcome depends only on the generator state.
        float? brightness = rng.Next(2) == 1 ? (float)Uniform(rng, -BrightnessDelta, BrightnessDelta) : null;
        bool contrastFirst = rng.Next(2) == 1;
        float? contrast = rng.Next(2) == 1 ? (float)Uniform(rng, ContrastLower, ContrastUpper) : null;
        float? saturation = rng.Next(2) == 1 ? (float)Uniform(rng, SaturationLower, SaturationUpper) : null;
        int? hue = rng.Next(2) == 1 ? rng.Next(-HueDelta, HueDelta) : null;

        if (brightness is { } b) Affine(hwc, 1f, b);
        if (contrastFirst && contrast is { } c1) Affine(hwc, c1, 0f);
        if (saturation is not null || hue is not null) SaturationHue(hwc, saturation ?? 1f, (hue ?? 0) * 2f);
        if (!contrastFirst && contrast is { } c2) Affine(hwc, c2, 0f);
    }

    private static double Uniform(Random rng, double lo, double hi) => lo + rng.NextDouble() * (hi - lo);

    /// <summary>x = clamp(x·alpha + beta, 0, 255), SIMD-wide (the same separate multiply and add as the scalar tail, so the same bits).</summary>
    private static void Affine(float[] x, float alpha, float beta)
    {
        var span = x.AsSpan();
        var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(span);
        var a = new System.Numerics.Vector<float>(alpha);
        var b = new System.Numerics.Vector<float>(beta);
        var lo = System.Numerics.Vector<float>.Zero;
        var hi = new System.Numerics.Vector<float>(255f);
        for (int i = 0; i < vectors.Length; i++) vectors[i] = System.Numerics.Vector.Max(System.Numerics.Vector.Min(vectors[i] * a + b, hi), lo);
        for (int i = vectors.Length * System.Numerics.Vector<float>.Count; i < x.Length; i++) x[i] = Math.Clamp(x[i] * alpha + beta, 0f, 255f);
    }

    /// <summary>Scales HSV saturation and rotates hue (degrees) per pixel.</summary>
    private static unsafe void SaturationHue(float[] pixels, float satScale, float hueShift)
    {
        fixed (float* x = pixels)
        for (int i = 0; i + 2 < pixels.Length; i += 3)
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
            // Hue wrap without fmod (slow): h + shift lies in (-96, 396), where fmod(., 360) is the value itself or an
            // exact subtraction of 360 (Sterbenz), so the bits are those of `(h + shift) % 360` (+ 360 when negative).
            h += hueShift;
            if (h >= 360f) h -= 360f;
            else if (h < 0) h += 360f;
            // HSV -> RGB; hp % 2 likewise: hp in [0, 6], hp − 2k is exact for k = floor(hp / 2).
            float hp = h / 60f;
            float hpMod2 = hp - 2 * ((int)hp >> 1);
            float chroma = v * s, xx = chroma * (1 - Math.Abs(hpMod2 - 1)), m = v - chroma;
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
