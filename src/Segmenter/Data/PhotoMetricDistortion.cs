using System.Numerics;
using System.Runtime.InteropServices;

namespace Segmenter.Data;

/// <summary>
/// mmseg PhotoMetricDistortion on float RGB (0..255): brightness ±32, contrast 0.5–1.5 (before or after the colour
/// steps, chosen at random), saturation 0.5–1.5, hue ±18 (OpenCV half-degrees, i.e. ±36°); each step with probability 1/2.
/// Works on the planar picture (<see cref="ChwImage"/>), one SIMD loop per row; the padding is not touched.
/// </summary>
public static class PhotoMetricDistortion
{
    public const double BrightnessDelta = 32, ContrastLower = 0.5, ContrastUpper = 1.5, SaturationLower = 0.5, SaturationUpper = 1.5;
    public const int HueDelta = 18;

    public static void Apply(ChwImage image, Random rng)
    {
        // Draw every decision first, in a fixed order, so the outcome depends only on the generator state.
        float? brightness = rng.Next(2) == 1 ? (float)Uniform(rng, -BrightnessDelta, BrightnessDelta) : null;
        bool contrastFirst = rng.Next(2) == 1;
        float? contrast = rng.Next(2) == 1 ? (float)Uniform(rng, ContrastLower, ContrastUpper) : null;
        float? saturation = rng.Next(2) == 1 ? (float)Uniform(rng, SaturationLower, SaturationUpper) : null;
        int? hue = rng.Next(2) == 1 ? rng.Next(-HueDelta, HueDelta) : null;

        if (brightness is { } b) Affine(image, 1f, b);
        if (contrastFirst && contrast is { } c1) Affine(image, c1, 0f);
        if (saturation is not null || hue is not null)
            for (int y = 0; y < image.Height; y++)
                SaturationHue(image.Row(0, y), image.Row(1, y), image.Row(2, y), saturation ?? 1f, (hue ?? 0) * 2f);
        if (!contrastFirst && contrast is { } c2) Affine(image, c2, 0f);
    }

    private static double Uniform(Random rng, double lo, double hi) => lo + rng.NextDouble() * (hi - lo);

    /// <summary>x = clamp(x·alpha + beta, 0, 255) over the picture (the same separate multiply and add as the scalar tail, so the same bits).</summary>
    private static void Affine(ChwImage image, float alpha, float beta)
    {
        var a = new Vector<float>(alpha);
        var b = new Vector<float>(beta);
        var hi = new Vector<float>(255f);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < image.Height; y++)
            {
                var x = image.Row(c, y);
                var v = MemoryMarshal.Cast<float, Vector<float>>(x);
                for (int i = 0; i < v.Length; i++) v[i] = Vector.Max(Vector.Min(v[i] * a + b, hi), Vector<float>.Zero);
                for (int i = v.Length * Vector<float>.Count; i < x.Length; i++) x[i] = Math.Clamp(x[i] * alpha + beta, 0f, 255f);
            }
    }

    /// <summary>
    /// Scales HSV saturation and rotates hue (degrees) of one row given as its three channel rows. The SIMD body computes
    /// every branch of the scalar code and selects (same operations per pixel, so the same bits as <see cref="SaturationHuePixel"/>,
    /// which does the tail).
    /// </summary>
    private static void SaturationHue(Span<float> red, Span<float> green, Span<float> blue, float satScale, float hueShift)
    {
        var rs = MemoryMarshal.Cast<float, Vector<float>>(red);
        var gs = MemoryMarshal.Cast<float, Vector<float>>(green);
        var bs = MemoryMarshal.Cast<float, Vector<float>>(blue);
        var zero = Vector<float>.Zero;
        var one = Vector<float>.One;
        var sixty = new Vector<float>(60f);
        var full = new Vector<float>(360f);
        var scale = new Vector<float>(satScale);
        var shift = new Vector<float>(hueShift);
        for (int i = 0; i < rs.Length; i++)
        {
            Vector<float> r = rs[i], g = gs[i], b = bs[i];
            var max = Vector.Max(r, Vector.Max(g, b));
            var min = Vector.Min(r, Vector.Min(g, b));
            var delta = max - min;
            var s = Vector.ConditionalSelect(Vector.GreaterThan(max, zero), delta / max, zero);
            var hR = sixty * ((g - b) / delta);
            var hG = sixty * ((b - r) / delta + new Vector<float>(2f));
            var hB = sixty * ((r - g) / delta + new Vector<float>(4f));
            var h = Vector.ConditionalSelect(Vector.Equals(max, r), hR, Vector.ConditionalSelect(Vector.Equals(max, g), hG, hB));
            h = Vector.ConditionalSelect(Vector.GreaterThan(delta, zero), h, zero);
            s = Vector.Min(s * scale, one);
            h += shift;
            h = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(h, full), h - full, Vector.ConditionalSelect(Vector.LessThan(h, zero), h + full, h));
            var hp = h / sixty;
            var sector = Vector.ConvertToInt32(hp);
            var hpMod2 = hp - Vector.ConvertToSingle(Vector.ShiftLeft(Vector.ShiftRightArithmetic(sector, 1), 1));
            var chroma = max * s;
            var xx = chroma * (one - Vector.Abs(hpMod2 - one));
            var m = max - chroma;
            var s0 = Vector.Equals(sector, Vector<int>.Zero);
            var s1 = Vector.Equals(sector, Vector<int>.One);
            var s2 = Vector.Equals(sector, new Vector<int>(2));
            var s3 = Vector.Equals(sector, new Vector<int>(3));
            var s4 = Vector.Equals(sector, new Vector<int>(4));
            var s5 = Vector.GreaterThan(sector, new Vector<int>(4)); // the scalar switch's default (5, and 6 from rounding)
            var rr = Vector.ConditionalSelect(s0 | s5, chroma, Vector.ConditionalSelect(s1 | s4, xx, zero));
            var gg = Vector.ConditionalSelect(s0 | s3, xx, Vector.ConditionalSelect(s1 | s2, chroma, zero));
            var bb = Vector.ConditionalSelect(s2 | s5, xx, Vector.ConditionalSelect(s3 | s4, chroma, zero));
            rs[i] = rr + m; gs[i] = gg + m; bs[i] = bb + m;
        }
        for (int i = rs.Length * Vector<float>.Count; i < red.Length; i++)
            SaturationHuePixel(ref red[i], ref green[i], ref blue[i], satScale, hueShift);
    }

    private static void SaturationHuePixel(ref float red, ref float green, ref float blue, float satScale, float hueShift)
    {
        float r = red, g = green, b = blue;
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
        red = rr + m; green = gg + m; blue = bb + m;
    }
}
