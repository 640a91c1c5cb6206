using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A dataset whose items are (image, label) file pairs listed up front by a <see cref="FileListFormat"/>.
/// <see cref="Load"/> decodes both, checks they have the same size, applies reduce_zero_label and, when the class
/// count is known, checks every label value.
/// </summary>
public class FileListDataset : ISegmentationDataset
{
    private readonly Func<string, RgbImage> _readImage;
    private readonly DataReadOptions _read;

    /// <param name="read">The config's pixel limit and labelId policy every image and label of this dataset is read with.</param>
    /// <param name="readImage">An image decoder other than <see cref="DataReadOptions.ReadRgb"/> (tests).</param>
    public FileListDataset(FileListFormat format, string root, IReadOnlyList<PartConfig> parts, int numClasses, int ignoreIndex,
        bool reduceZeroLabel, DataReadOptions? read, Func<string, RgbImage>? readImage)
    {
        Root = Path.GetFullPath(root);
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        ReduceZeroLabel = reduceZeroLabel;
        _read = read ?? DataReadOptions.Default;
        _readImage = readImage ?? _read.ReadRgb;
        Items = DatasetListing.List(format, root, parts, e => throw e);
        if (Items.Count == 0)
            throw new SegmenterException("the dataset is empty", Root, "check the split files and image folders");
    }

    public string Root { get; }
    /// <summary>Number of classes labels are checked against; 0 = no check.</summary>
    public int NumClasses { get; }
    public int IgnoreIndex { get; }
    public bool ReduceZeroLabel { get; }
    public IReadOnlyList<DatasetItem> Items { get; }

    public int Count => Items.Count;

    public string IdAt(int index) => Items[index].Id;

    /// <summary>Decodes item <paramref name="index"/>. Thread-safe: nothing is shared between calls.</summary>
    public Sample Load(int index)
    {
        var item = Items[index];
        var image = _readImage(item.ImagePath);
        var label = item.ReadLabel(_read);
        DataValidation.ValidateSameSize(image, label, item.ImagePath, item.LabelPath);
        if (ReduceZeroLabel) label = DataValidation.ReduceZeroLabel(label);
        if (NumClasses > 0) DataValidation.ValidateLabelValues(label, NumClasses, IgnoreIndex, item.LabelPath);
        return new Sample(item.Id, image, label, item.ImagePath, item.LabelPath);
    }
}
