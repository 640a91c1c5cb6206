using System.Collections;
using System.Runtime.CompilerServices;

namespace Segmenter.Config;

/// <summary>
/// Two positive integers written in YAML as a two-element list, `[h, w]` (mmseg's crop_size, stride and ISA
/// down_factor are all (height, width)). The loader checks the shape once; code reads <see cref="H"/> and
/// <see cref="W"/> (or deconstructs) instead of indexing a list. C# code may still write `CropSize = [512, 512]`.
/// </summary>
[CollectionBuilder(typeof(SizePair), nameof(Create))]
public readonly record struct SizePair(int H, int W) : IEnumerable<int>
{
    /// <summary>Collection-expression builder: exactly two values.</summary>
    public static SizePair Create(ReadOnlySpan<int> values) => values.Length == 2
        ? new SizePair(values[0], values[1])
        : throw new ArgumentException($"a size pair needs 2 values, got {values.Length}", nameof(values));

    /// <summary>The larger of the two sides.</summary>
    public int Max => Math.Max(H, W);

    public static implicit operator (int H, int W)(SizePair p) => (p.H, p.W);
    public static implicit operator SizePair((int H, int W) t) => new(t.H, t.W);

    public IEnumerator<int> GetEnumerator()
    {
        yield return H;
        yield return W;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"[{H}, {W}]";
}
