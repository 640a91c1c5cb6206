using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>The pointer loop of ResizeBilinearWindow gives the same bits as the plain indexed loop it replaced (kept here).</summary>
public sealed class ImageOpsBilinearTests
{
    [Fact]
    public void SameBitsAsTheIndexedReference()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 60; trial++)
        {
            int sw = 1 + rng.Next(90), sh = 1 + rng.Next(70);
            var data = new byte[sw * sh * 3];
            rng.NextBytes(data);
            var image = new RgbImage(sw, sh, data);
            int dw = 1 + rng.Next(160), dh = 1 + rng.Next(120);
            int h = 1 + rng.Next(dh), w = 1 + rng.Next(dw), y0 = rng.Next(dh - h + 1), x0 = rng.Next(dw - w + 1);
            var fast = ImageOps.ResizeBilinearWindow(image, dw, dh, y0, x0, h, w);
            var reference = Reference(image, dw, dh, y0, x0, h, w);
            Assert.Equal(reference.Length, fast.Length);
            for (int i = 0; i < fast.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(reference[i]), $"trial {trial}, element {i}");
        }
    }

    private static float[] Reference(RgbImage image, int dstW, int dstH, int y0, int x0, int h, int w)
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
}
