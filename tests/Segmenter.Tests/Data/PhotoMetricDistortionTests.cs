using Segmenter.Data;

namespace Segmenter.Tests.Data;

/// <summary>
/// The fast PhotoMetricDistortion (planar rows, SIMD brightness/contrast and HSV with every branch computed and
/// selected, fmod-free hue wrap) gives the same bits as the plain interleaved scalar version it replaced
/// (<see cref="ReferencePipeline.PhotoMetric"/>), for every branch: random images including the corner values 0 and 255
/// and grey pixels (delta 0), row lengths that leave a SIMD tail, and many seeds (each step on or off, contrast before or
/// after). The padding around the picture stays 0.
/// </summary>
public sealed class PhotoMetricDistortionTests
{
    [Fact]
    public void SameBitsAsTheScalarReference()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            int h = 1 + rng.Next(12), w = 1 + rng.Next(70);
            var hwc = new float[h * w * 3];
            for (int i = 0; i < hwc.Length; i++)
                hwc[i] = rng.Next(10) switch { 0 => 0f, 1 => 255f, 2 => hwc[Math.Max(0, i - 1)], 3 => hwc[Math.Max(0, i - 3)], _ => (float)(rng.NextDouble() * 255) };
            var fast = ReferencePipeline.ToChw(hwc, h, w, h + rng.Next(3), w + rng.Next(9));
            PhotoMetricDistortion.Apply(fast, new Random(trial));
            ReferencePipeline.PhotoMetric(hwc, new Random(trial));
            var expected = ReferencePipeline.ToChw(hwc, h, w, fast.PlaneHeight, fast.PlaneWidth);
            ReferencePipeline.AssertSameBits(expected.Data, fast.Data, $"trial {trial}");
        }
    }
}
