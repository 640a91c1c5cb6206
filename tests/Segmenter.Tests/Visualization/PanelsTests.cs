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
