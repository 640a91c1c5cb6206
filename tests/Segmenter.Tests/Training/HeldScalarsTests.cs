using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Training;

public class HeldScalarsTests
{
    /// <summary>Held Scalars survive collections until the holder is disposed; then they are freed at once.</summary>
    [Fact]
    public void ScalarsLiveUntilTheHolderIsDisposed()
    {
        var scalars = new HeldScalars();
        var half = scalars.Of(0.5);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using (var x = ones(3))
        using (var y = x.mul(half))
            Assert.Equal(0.5f, y[0].item<float>());
        Assert.Equal(1, HeldScalars.One.ToInt32());
        scalars.Dispose();
        Assert.Throws<InvalidOperationException>(() => half.ToDouble());
        Assert.Equal(1, HeldScalars.One.ToInt32());
    }

    /// <summary>The residual add and the optimizers pass held Scalars: same numbers as the implicit conversions.</summary>
    [Fact]
    public void AddWithHeldOneEqualsThePlainAdd()
    {
        using var a = arange(4, dtype: ScalarType.Float32);
        using var b = ones(4);
        using var expected = a + b;
        using var actual = a.clone().add_(b, HeldScalars.One);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 0));
    }
}
