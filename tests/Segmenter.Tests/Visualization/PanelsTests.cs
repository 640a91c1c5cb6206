using Segmenter.IO;
using Segmenter.Visualization;

namespace Segmenter.Tests.Visualization;

public sealed class PanelsTests
{
    private static readonly (byte R, byte G, byte B)[] Palette = [(0, 0, 0), (200, 100, 0), (0, 0, 250)];

    [Fact]
    public void ColorizeUsesThePaletteAndBlackForIgnore()
    {
        var label = new LabelMap(2, 2, [0, 1, 2, 255]);
        var rgb = Panels.Colorize(label, Palette, 255);
        Assert.Equal(new byte[] { 0, 0, 0, 200, 100, 0, 0, 0, 250, 0, 0, 0 }, rgb.Data);
    }

    [Fact]
    public void OverlayBlendsByAlphaAndLeavesIgnoredPixels()
    {
        var image = new RgbImage(2, 1, [100, 100, 100, 100, 100, 100]);
        var label = new LabelMap(2, 1, [1, 255]);
        var o = Panels.Overlay(image, label, Palette, 255, 0.5);
        Assert.Equal(new byte[] { 150, 100, 50, 100, 100, 100 }, o.Data);
    }

    [Fact]
    public void ErrorMapIsWhiteOnlyWhereWrongAndNotIgnored()
    {
        var truth = new LabelMap(3, 1, [1, 2, 255]);
        var pred = new LabelMap(3, 1, [1, 1, 0]);
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 0 }, Panels.ErrorMap(truth, pred, 255).Data);
    }

    [Fact]
    public void SideBySideAndFitWithinHaveTheExpectedSizes()
    {
        var a = new RgbImage(4, 3, new byte[36]);
        var b = new RgbImage(2, 5, new byte[30]);
        var s = Panels.SideBySide([a, b], gap: 4);
        Assert.Equal((10, 5), (s.Width, s.Height));
        Assert.Equal(0, s.Data[0]);                       // a's pixel
        Assert.Equal(255, s.Data[(4 * 10 + 0) * 3]);       // row 4 under a: white padding
        var t = Panels.Stacked([a, b], gap: 2);
        Assert.Equal((4, 10), (t.Width, t.Height));
        var f = Panels.FitWithin(new RgbImage(400, 200, new byte[400 * 200 * 3]), 100);
        Assert.Equal((100, 50), (f.Width, f.Height));
    }
}

public sealed class ShowDirWriterTests
{
    [Fact]
    public void ImageIoUIsTheMeanOverPresentClasses()
    {
        // class 0: inter 1, union 2; class 1: inter 1, union 2 -> 0.5; the ignored pixel is left out.
        Assert.Equal(0.5, Segmenter.Visualization.ShowDirWriter.ImageIoU([0, 1, 1, 0], [0, 0, 1, 255], 3, 255), 12);
        Assert.True(double.IsNaN(Segmenter.Visualization.ShowDirWriter.ImageIoU([0], [255], 3, 255)));
    }
}

public sealed class PanopticOverlayTests
{
    [Fact]
    public void SegmentsAreColouredOutlinedAndThingsNumbered()
    {
        int w = 40, h = 40;
        var ids = new int[w * h];
        for (int y = 10; y < 30; y++) for (int x = 10; x < 30; x++) ids[y * w + x] = 7; // a thing in the middle, VOID around it
        var image = new RgbImage(w, h, Enumerable.Repeat((byte)100, w * h * 3).ToArray());
        var map = new Segmenter.Evaluation.PanopticIdMap(w, h, ids);
        var segs = new[] { new Segmenter.Evaluation.PanopticSegment(7, 3) };
        var o = PanopticOverlay.Draw(image, map, segs, _ => (200, 0, 0), _ => true, 0.5);
        Assert.Equal((w, h), (o.Width, o.Height));
        Assert.Equal(new byte[] { 100, 100, 100 }, o.Data[..3]);                                  // VOID keeps the photo
        int inside = (12 * w + 12) * 3;
        Assert.Equal(new byte[] { 150, 50, 50 }, o.Data[inside..(inside + 3)]);                 // blended category colour
        int edge = (20 * w + 9) * 3;                                                              // left of the segment: id changes to the right
        Assert.Equal(new byte[] { 255, 255, 255 }, o.Data[edge..(edge + 3)]);
        var plain = PanopticOverlay.Draw(image, map, segs, _ => (200, 0, 0), _ => false, 0.5);  // stuff: no id text
        int centre = (20 * w + 20) * 3;
        Assert.Equal(new byte[] { 150, 50, 50 }, plain.Data[centre..(centre + 3)]);
        Assert.NotEqual(plain.Data, o.Data);                                                      // the id "7" was drawn
    }
}
