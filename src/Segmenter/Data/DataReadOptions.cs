using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// The data.* values that decide how a dataset's files are read: the decompression-bomb limit every image and label
/// read is checked against (data.max_image_pixels, <see cref="ImageLimits"/>) and what a Cityscapes labelId outside
/// the official table does (data.allow_unknown_label_ids, <see cref="CityscapesLabelPolicy"/>). Datasets receive them
/// as a value from their config, so two configs in one process each read with their own.
/// </summary>
public sealed record DataReadOptions(long MaxImagePixels = ImageLimits.DefaultMaxPixels, bool AllowUnknownLabelIds = false)
{
    /// <summary>The config defaults: Pillow's pixel limit, unknown labelIds refused.</summary>
    public static DataReadOptions Default { get; } = new();

    /// <summary>The values of a data config.</summary>
    public static DataReadOptions Of(DataConfig data) => new(data.MaxImagePixels, data.AllowUnknownLabelIds);

    /// <summary>Decodes a photo with this limit.</summary>
    public RgbImage ReadRgb(string path) => ImageIO.ReadRgb(path, MaxImagePixels);
}
