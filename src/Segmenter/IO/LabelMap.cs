namespace Segmenter.IO;

/// <summary>A class-index map (H x W), one byte per pixel; 255 is "ignore" by convention.</summary>
public sealed record LabelMap(int Width, int Height, byte[] Data)
{
    public byte this[int y, int x] => Data[y * Width + x];
}
