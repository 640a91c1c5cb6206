namespace Segmenter.IO;

/// <summary>An 8-bit RGB image, row-major, interleaved (H x W x 3). Kept as bytes until batching.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Data)
{
    public byte this[int y, int x, int c] => Data[(y * Width + x) * 3 + c];
}
