using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>One decoded panoptic item: the image, its panoptic ground truth (same size) and where they came from.</summary>
public sealed record PanopticSample(string Id, RgbImage Image, PanopticGroundTruth Gt, string ImagePath, string PanopticPath);
