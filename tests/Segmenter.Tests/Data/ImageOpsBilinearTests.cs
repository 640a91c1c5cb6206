using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// The separable, planar ResizeBilinearWindowToChw gives the same bits as the per-pixel interleaved loop it replaced
/// (<see cref="ReferencePipeline.ResizeBilinearWindow"/>), enlarging and shrinking, with padding planes; and the
/// nearest-neighbour window gather equals the crop of the whole resized label.
/// </summary>
public sealed class ImageOpsBilinearTests
{
    [Fact]
    public void SameBitsAsTheInterleavedReference()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 80; trial++)
        {
            int sw = 1 + rng.Next(90), sh = 1 + rng.Next(70);
            var data = new byte[sw * sh * 3];
            rng.NextBytes(data);
            var image = new RgbImage(sw, sh, data);
            int dw = trial % 8 == 0 ? sw : 1 + rng.Next(160), dh = trial % 8 == 0 ? sh : 1 + rng.Next(120);
            int h = 1 + rng.Next(dh), w = 1 + rng.Next(dw), y0 = rng.Next(dh - h + 1), x0 = rng.Next(dw - w + 1);
            int planeH = h + rng.Next(3), planeW = w + rng.Next(20);
            var fast = ImageOps.ResizeBilinearWindowToChw(image, dw, dh, y0, x0, h, w, planeH, planeW);
            var expected = ReferencePipeline.ToChw(ReferencePipeline.ResizeBilinearWindow(image, dw, dh, y0, x0, h, w), h, w, planeH, planeW);
            ReferencePipeline.AssertSameBits(expected.Data, fast.Data, $"trial {trial}");
        }
    }

    [Fact]
    public void NearestWindowGatherEqualsTheCropOfTheWholeResize()
    {
        var rng = new Random(4);
        for (int trial = 0; trial < 60; trial++)
        {
            int sw = 1 + rng.Next(50), sh = 1 + rng.Next(40), dw = 1 + rng.Next(120), dh = 1 + rng.Next(90);
            var src = new byte[sw * sh];
            rng.NextBytes(src);
            var whole = ReferencePipeline.ResizeNearest(src, sw, sh, dw, dh);
            Assert.Equal(whole, ImageOps.ResizeNearest(src, sw, sh, dw, dh));
            int h = 1 + rng.Next(dh), w = 1 + rng.Next(dw), y0 = rng.Next(dh - h + 1), x0 = rng.Next(dw - w + 1), stride = w + rng.Next(5);
            var window = new byte[h * stride];
            ImageOps.GatherNearest(src, sw, ImageOps.NearestSourceIndex(sh, dh), ImageOps.NearestSourceIndex(sw, dw), y0, x0, h, w, window, stride);
            for (int y = 0; y < h; y++)
                Assert.Equal(whole.AsSpan((y0 + y) * dw + x0, w).ToArray(), window.AsSpan(y * stride, w).ToArray());
        }
    }
}
