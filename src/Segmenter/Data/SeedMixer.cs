namespace Segmenter.Data;

/// <summary>
/// Derives independent seeds from tuples (seed, epoch, position...) with the SplitMix64 finalizer, so a batch's
/// content is a pure function of (seed, iteration) whatever thread or run builds it.
/// </summary>
public static class SeedMixer
{
    public static ulong Mix(params ReadOnlySpan<long> values)
    {
        ulong h = 0x6A09E667F3BCC909UL;
        foreach (var v in values) h = Finalize(h ^ Finalize((ulong)v + 0x9E3779B97F4A7C15UL));
        return h;
    }

    /// <summary>A non-negative 31-bit seed for <see cref="Random(int)"/>.</summary>
    public static int RandomSeed(params ReadOnlySpan<long> values) => (int)(Mix(values) >> 33);

    public static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A permutation of 0..n-1 (Fisher-Yates driven by a SplitMix64 stream seeded with <paramref name="seed"/>).</summary>
    public static int[] Permutation(int n, ulong seed)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        ulong state = seed;
        for (int i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong r = Finalize(state);
            int j = (int)(((UInt128)r * (ulong)(i + 1)) >> 64);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
