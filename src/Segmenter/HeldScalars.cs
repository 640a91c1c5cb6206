using TorchSharp;

namespace Segmenter;

/// <summary>
/// Scalars whose lifetime we control. TorchSharp 0.107 turns a .NET number passed where a Scalar is expected into a
/// new Scalar that only its finalizer frees, and passes just the native handle to LibTorch without keeping the
/// Scalar alive. A garbage collection during that native call (likely while loader threads allocate) can free the
/// Scalar while LibTorch reads it; LibTorch then fails in Scalar::toFloat with "Expected false to be true", as one
/// smoke run did in a residual add. Hot paths (optimizer updates, residual adds) pass Scalars held here instead:
/// <see cref="Of"/> keeps each one until this object is disposed, <see cref="One"/> lives as long as the process.
/// </summary>
public sealed class HeldScalars : IDisposable
{
    private readonly List<Scalar> _held = [];

    /// <summary>1 as an integer Scalar (what TorchSharp passes as the default alpha of add/sub), held for the process.</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>A Scalar for <paramref name="value"/> that stays alive until this object is disposed.</summary>
    public Scalar Of(double value)
    {
        var s = value.ToScalar();
        _held.Add(s);
        return s;
    }

    public void Dispose()
    {
        foreach (var s in _held) s.Dispose();
        _held.Clear();
    }
}
