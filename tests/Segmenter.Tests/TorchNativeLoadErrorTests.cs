using Xunit;

namespace Segmenter.Tests;

/// <summary>A LibTorch that cannot be loaded is one line naming the fix (exit 2 in the CLI), not TorchSharp's trace.</summary>
public class TorchNativeLoadErrorTests
{
    [Fact]
    public void NativeLoadFailuresAreDescribed()
    {
        var trace = new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64\n/x/libLibTorchSharp: cannot open");
        Assert.True(TorchNativeLoadError.TryDescribe(new TypeInitializationException("TorchSharp.torch", trace), out var message));
        Assert.DoesNotContain("\n", message);
        Assert.Contains("LibTorch could not be loaded", message);
        Assert.True(TorchNativeLoadError.TryDescribe(new DllNotFoundException("LibTorchSharp"), out _));
    }

    [Fact]
    public void OtherErrorsAreNot() =>
        Assert.False(TorchNativeLoadError.TryDescribe(new InvalidOperationException("shape mismatch"), out _));

    [Fact]
    public void TheBuildKnowsItsBackend() => Assert.Equal("cpu", TorchNativeLoadError.Backend);
}
