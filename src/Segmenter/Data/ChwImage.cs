namespace Segmenter.Data;

/// <summary>
/// A float RGB image in planar (CHW) layout while the train pipeline works on it: the picture is the Height x Width
/// window at the top left of three PlaneHeight x PlaneWidth planes, and the rest is padding that stays 0 (so it is 0
/// after normalising too, as mmseg's Pad of the normalised image). Planar rows make every per-pixel step a plain
/// SIMD loop over one channel, and the pipeline's output needs no transpose.
/// </summary>
public readonly record struct ChwImage(float[] Data, int Height, int Width, int PlaneHeight, int PlaneWidth)
{
    /// <summary>Three zeroed planes of planeHeight x planeWidth holding a height x width picture.</summary>
    public static ChwImage Allocate(int height, int width, int planeHeight, int planeWidth)
    {
        if (height > planeHeight || width > planeWidth) throw new ArgumentException("the picture does not fit its planes");
        return new ChwImage(new float[3 * planeHeight * planeWidth], height, width, planeHeight, planeWidth);
    }

    /// <summary>Row <paramref name="y"/> of channel <paramref name="c"/> (the picture's Width values).</summary>
    public Span<float> Row(int c, int y) => Data.AsSpan((c * PlaneHeight + y) * PlaneWidth, Width);
}
