using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>Where one dataset item lives on disk, known before anything is decoded, and how its label file is encoded.</summary>
public sealed record DatasetItem(string Id, string ImagePath, string LabelPath, LabelEncoding Encoding = LabelEncoding.Index)
{
    /// <summary>Decodes the label file into class indices (Cityscapes labelIds are mapped to trainIds), with the
    /// pixel limit and unknown-labelId policy of <paramref name="read"/> (the dataset's config).</summary>
    public LabelMap ReadLabel(DataReadOptions read)
    {
        var label = ImageIO.ReadLabel(LabelPath, read.MaxImagePixels);
        return Encoding == LabelEncoding.CityscapesLabelIds
            ? CityscapesLabelPolicy.ToTrainIds(label, LabelPath, read.AllowUnknownLabelIds)
            : label;
    }
}
