using Segmenter.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Models;

/// <summary>SeededDropout: PyTorch's dropout semantics (kept values scaled by 1/(1−p), whole channels for the 2-d form,
/// about p dropped, identity in eval) and, with a generator, masks that repeat for the same seed.</summary>
public sealed class SeededDropoutTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DropsAboutPAndScalesTheRest(bool channels)
    {
        const double p = 0.3;
        var dropout = channels ? SeededDropout.Channelwise(p) : SeededDropout.Elementwise(p);
        using var generator = new Generator(7);
        dropout.Generator = generator;
        dropout.train();
        using var x = torch.ones(8, 64, 6, 5);
        using var y = dropout.call(x);
        var values = y.data<float>().ToArray();
        float kept = (float)(1 / (1 - p));
        Assert.All(values, v => Assert.True(v == 0f || v == kept, $"{v}"));
        Assert.InRange(values.Count(v => v == 0f) / (double)values.Length, p - 0.05, p + 0.05);
        if (channels)
            using (var perChannel = y.amax([2, 3]).eq(y.amin([2, 3])))
                Assert.True(perChannel.all().item<bool>(), "the 2-d form drops whole channels");

        generator.manual_seed(7);
        using var again = dropout.call(x);
        Assert.Equal(values, again.data<float>().ToArray()); // the same seed, the same mask

        dropout.eval();
        using var identity = dropout.call(x);
        Assert.Equal(x.data<float>().ToArray(), identity.data<float>().ToArray());
    }
}
