using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>One decoded dataset item: the image, its label map (same size) and where they came from.</summary>
public sealed record Sample(string Id, RgbImage Image, LabelMap Label, string ImagePath, string LabelPath);
