using Segmenter.Data;

namespace Segmenter.Tests.Data;

/// <summary>ResizedLabelCounter's run-length counts equal a histogram of the window of the whole resized label.</summary>
public sealed class ResizedLabelCounterTests
{
    [Fact]
    public void CountsEqualTheHistogramOfTheResizedWindow()
    {
        var rng = new Random(21);
        for (int trial = 0; trial < 150; trial++)
        {
            int sw = 1 + rng.Next(60), sh = 1 + rng.Next(40), dw = 1 + rng.Next(150), dh = 1 + rng.Next(100);
            var source = new byte[sw * sh];
            // Noise (a run per pixel), stripes, or a few flat blocks.
            for (int i = 0; i < source.Length; i++)
                source[i] = (trial % 3) switch { 0 => (byte)rng.Next(256), 1 => (byte)(i % sw / 5), _ => (byte)(i / (sw * 7 + 3) % 4) };
            var ys = ImageOps.NearestSourceIndex(sh, dh);
            var xs = ImageOps.NearestSourceIndex(sw, dw);
            var resized = ImageOps.ResizeNearest(source, sw, sh, dw, dh);
            var counter = new ResizedLabelCounter(source, sw, sh, ys, xs);
            for (int window = 0; window < 5; window++)
            {
                int h = 1 + rng.Next(dh), w = 1 + rng.Next(dw), y0 = rng.Next(dh - h + 1), x0 = rng.Next(dw - w + 1);
                var expected = new int[256];
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) expected[resized[(y0 + y) * dw + x0 + x]]++;
                var counts = new int[256];
                counter.Count(y0, x0, h, w, counts);
                Assert.Equal(expected, counts);
            }
        }
    }
}
