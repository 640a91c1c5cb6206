using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>Resampling on plain arrays: bilinear for images (half-pixel centres, like cv2 INTER_LINEAR), nearest for labels.</summary>
public static class ImageOps
{
    /// <summary>
    /// mmcv keep-ratio rescale: factor = min(long / max(h, w), short / min(h, w)); new size = round(size * factor).
    /// The result fits in the (long, short) box with the aspect ratio kept (it may enlarge).
    /// </summary>
    public static (int Height, int Width) RescaleSize(int height, int width, double longEdge, double shortEdge)
    {
        double f = Math.Min(longEdge / Math.Max(height, width), shortEdge / Math.Min(height, width));
        return (Math.Max(1, (int)(height * f + 0.5)), Math.Max(1, (int)(width * f + 0.5)));
    }

    /// <summary>Nearest-neighbour resize of a label map (values are copied, never blended).</summary>
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
            int drow = y * dstW;
            for (int x = 0; x < dstW; x++) dst[drow + x] = src[srow + xs[x]];
        }
        return dst;
    }

    /// <summary>
    /// Bilinear resize of <paramref name="image"/> to dstW x dstH, producing only the window (y0, x0, h, w) of the
    /// result as float HWC RGB in 0..255. Computing just the crop makes random-scale + crop cheap.
    /// </summary>
    public static unsafe float[] ResizeBilinearWindow(RgbImage image, int dstW, int dstH, int y0, int x0, int h, int w)
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
        // The hot loop on pointers (no bounds checks); the arithmetic is the same expression per channel as before.
        fixed (byte* srcBase = src)
        fixed (float* dstBase = dst)
        fixed (int* xaBase = xa, xbBase = xb)
        fixed (float* fxBase = fx)
        {
            for (int y = 0; y < h; y++)
            {
                Coord(y0 + y, scy, sh, out int ya, out int yb, out float fy);
                byte* rowA = srcBase + (long)ya * sw * 3, rowB = srcBase + (long)yb * sw * 3;
                float* d = dstBase + (long)y * w * 3;
                for (int x = 0; x < w; x++, d += 3)
                {
                    byte* ta = rowA + xaBase[x] * 3, tb = rowA + xbBase[x] * 3, ba = rowB + xaBase[x] * 3, bb = rowB + xbBase[x] * 3;
                    float wx = fxBase[x];
                    for (int c = 0; c < 3; c++)
                    {
                        float top = ta[c] + (tb[c] - ta[c]) * wx;
                        float bot = ba[c] + (bb[c] - ba[c]) * wx;
                        d[c] = top + (bot - top) * fy;
                    }
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

    /// <summary>Normalizes float HWC RGB ((x - mean) / std) into a CHW array of outH x outW, padding the rest with 0.</summary>
    public static unsafe float[] NormalizeToChw(float[] hwc, int h, int w, IReadOnlyList<double> mean, IReadOnlyList<double> std, int outH, int outW)
    {
        if (hwc.Length < h * w * 3 || h > outH || w > outW) throw new ArgumentException("the image does not fit the output size");
        var chw = new float[3 * outH * outW];
        fixed (float* src = hwc, dst = chw)
        for (int c = 0; c < 3; c++)
        {
            float m = (float)mean[c], inv = (float)(1.0 / std[c]);
            int plane = c * outH * outW;
            for (int y = 0; y < h; y++)
            {
                float* s = src + y * w * 3 + c, d = dst + plane + y * outW;
                for (int x = 0; x < w; x++) d[x] = (s[x * 3] - m) * inv;
            }
        }
        return chw;
    }

    /// <summary>Mirrors an interleaved H x W x channels array left-right in place.</summary>
    public static void FlipHorizontal<T>(T[] data, int h, int w, int channels)
    {
        for (int y = 0; y < h; y++)
        {
            int row = y * w * channels;
            for (int x = 0; x < w / 2; x++)
            {
                int a = row + x * channels, b = row + (w - 1 - x) * channels;
                for (int c = 0; c < channels; c++) (data[a + c], data[b + c]) = (data[b + c], data[a + c]);
            }
        }
    }
}
