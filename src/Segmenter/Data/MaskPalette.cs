namespace Segmenter.Data;

/// <summary>
/// How a dataset's RGB colour masks map back to class indices (<see cref="MaskConverter"/>): the first
/// <paramref name="Matched"/> entries of <paramref name="Colours"/> are class colours (the first index wins for a
/// repeated colour), and <paramref name="IgnoreColour"/>, when set, means 255 = ignore. <paramref name="Colours"/> is
/// also the palette the converted index PNGs are written with.
/// </summary>
public sealed record MaskPalette((byte R, byte G, byte B)[] Colours, int Matched, (byte R, byte G, byte B)? IgnoreColour = null);
