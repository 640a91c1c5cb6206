using System.Numerics;
using System.Runtime.InteropServices;
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

    /// <summary>
    /// For nearest-neighbour resize of <paramref name="srcSize"/> to <paramref name="dstSize"/>: the source index of each
    /// destination index, floor((i + 0.5) · src / dst) clamped to the source (non-decreasing in i).
    /// </summary>
    public static int[] NearestSourceIndex(int srcSize, int dstSize)
    {
        var index = new int[dstSize];
        double scale = (double)srcSize / dstSize;
        for (int i = 0; i < dstSize; i++) index[i] = Math.Min((int)((i + 0.5) * scale), srcSize - 1);
        return index;
    }

    /// <summary>Nearest-neighbour resize of a label map (values are copied, never blended).</summary>
    public static byte[] ResizeNearest(byte[] src, int srcW, int srcH, int dstW, int dstH)
    {
        var dst = new byte[dstW * dstH];
        GatherNearest(src, srcW, NearestSourceIndex(srcH, dstH), NearestSourceIndex(srcW, dstW), 0, 0, dstH, dstW, dst, dstW);
        return dst;
    }

    /// <summary>
    /// The window (y0, x0, h, w) of the nearest-neighbour resize that <paramref name="ys"/> and <paramref name="xs"/>
    /// describe (<see cref="NearestSourceIndex"/>), written into <paramref name="dst"/> with row stride
    /// <paramref name="dstStride"/>. Only the window is resampled; a row whose source row repeats the previous one is copied.
    /// </summary>
    public static void GatherNearest(byte[] src, int srcW, int[] ys, int[] xs, int y0, int x0, int h, int w, byte[] dst, int dstStride)
    {
        for (int y = 0; y < h; y++)
        {
            var row = dst.AsSpan(y * dstStride, w);
            if (y > 0 && ys[y0 + y] == ys[y0 + y - 1]) { dst.AsSpan((y - 1) * dstStride, w).CopyTo(row); continue; }
            int s = ys[y0 + y] * srcW;
            for (int x = 0; x < w; x++) row[x] = src[s + xs[x0 + x]];
        }
    }

    /// <summary>
    /// Bilinear resize of <paramref name="image"/> to dstW x dstH, producing only the window (y0, x0, h, w) of the result
    /// as planar float RGB in 0..255 at the top left of planes of planeH x planeW (the rest 0). Computing just the crop
    /// makes random scale + crop cheap. Separable: each source row needed is interpolated horizontally once (a row used by
    /// consecutive output rows, as when enlarging, is kept), then output rows blend two such rows with SIMD. Per value the
    /// arithmetic is cv2-style `top = a + (b − a)·fx`, `top + (bot − top)·fy`, each a separate float multiply and add.
    /// </summary>
    public static unsafe ChwImage ResizeBilinearWindowToChw(RgbImage image, int dstW, int dstH, int y0, int x0, int h, int w, int planeH, int planeW)
    {
        int sw = image.Width, sh = image.Height;
        var src = image.Data;
        var dst = ChwImage.Allocate(h, w, planeH, planeW);
        if (sw == dstW && sh == dstH)
        {
            for (int y = 0; y < h; y++)
            {
                int s = ((y0 + y) * sw + x0) * 3;
                for (int c = 0; c < 3; c++)
                {
                    var row = dst.Row(c, y);
                    for (int x = 0; x < w; x++) row[x] = src[s + x * 3 + c];
                }
            }
            return dst;
        }
        double scx = (double)sw / dstW, scy = (double)sh / dstH;
        var xa = new int[w]; var xb = new int[w]; var fx = new float[w];
        for (int x = 0; x < w; x++) Coord(x0 + x, scx, sw, out xa[x], out xb[x], out fx[x]);
        // Horizontally interpolated source rows, planar (channel c at c·w), and which source row each holds.
        float[] upper = new float[3 * w], lower = new float[3 * w];
        int upperRow = -1, lowerRow = -1;
        for (int y = 0; y < h; y++)
        {
            Coord(y0 + y, scy, sh, out int ya, out int yb, out float fy);
            if (upperRow != ya)
            {
                if (lowerRow == ya) { (upper, lower) = (lower, upper); (upperRow, lowerRow) = (lowerRow, upperRow); }
                else { HorizontalRow(src, sw, ya, xa, xb, fx, upper); upperRow = ya; }
            }
            if (lowerRow != yb) { HorizontalRow(src, sw, yb, xa, xb, fx, lower); lowerRow = yb; }
            for (int c = 0; c < 3; c++) Lerp(upper.AsSpan(c * w, w), lower.AsSpan(c * w, w), fy, dst.Row(c, y));
        }
        return dst;
    }

    /// <summary>Source row <paramref name="row"/> interpolated at the output columns, into planar <paramref name="dst"/>.</summary>
    private static unsafe void HorizontalRow(byte[] src, int sw, int row, int[] xa, int[] xb, float[] fx, float[] dst)
    {
        int w = xa.Length;
        fixed (byte* srcBase = src)
        fixed (int* xaBase = xa, xbBase = xb)
        fixed (float* fxBase = fx, d = dst)
        {
            byte* r = srcBase + (long)row * sw * 3;
            for (int x = 0; x < w; x++)
            {
                byte* a = r + xaBase[x] * 3, b = r + xbBase[x] * 3;
                float wx = fxBase[x];
                d[x] = a[0] + (b[0] - a[0]) * wx;
                d[w + x] = a[1] + (b[1] - a[1]) * wx;
                d[2 * w + x] = a[2] + (b[2] - a[2]) * wx;
            }
        }
    }

    /// <summary>dst = top + (bottom − top)·f elementwise (a separate multiply and add in both the SIMD body and the tail).</summary>
    private static void Lerp(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, float f, Span<float> dst)
    {
        var vt = MemoryMarshal.Cast<float, Vector<float>>(top);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(bottom);
        var vd = MemoryMarshal.Cast<float, Vector<float>>(dst);
        var vf = new Vector<float>(f);
        for (int i = 0; i < vd.Length; i++) vd[i] = vt[i] + (vb[i] - vt[i]) * vf;
        for (int i = vd.Length * Vector<float>.Count; i < dst.Length; i++) dst[i] = top[i] + (bottom[i] - top[i]) * f;
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

    /// <summary>(x − mean)·(1/std) per channel over the picture, in place; the padding stays 0.</summary>
    public static void NormalizeInPlace(ChwImage image, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        for (int c = 0; c < 3; c++)
        {
            float m = (float)mean[c], inv = (float)(1.0 / std[c]);
            var vm = new Vector<float>(m);
            var vinv = new Vector<float>(inv);
            for (int y = 0; y < image.Height; y++)
            {
                var row = image.Row(c, y);
                var v = MemoryMarshal.Cast<float, Vector<float>>(row);
                for (int i = 0; i < v.Length; i++) v[i] = (v[i] - vm) * vinv;
                for (int i = v.Length * Vector<float>.Count; i < row.Length; i++) row[i] = (row[i] - m) * inv;
            }
        }
    }

    /// <summary>Mirrors the picture left-right in place.</summary>
    public static void FlipHorizontal(ChwImage image)
    {
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < image.Height; y++) image.Row(c, y).Reverse();
    }

    /// <summary>Mirrors the h x w window at the top left of a map with row stride <paramref name="stride"/> left-right in place.</summary>
    public static void FlipHorizontal(byte[] data, int h, int w, int stride)
    {
        for (int y = 0; y < h; y++) data.AsSpan(y * stride, w).Reverse();
    }
}
