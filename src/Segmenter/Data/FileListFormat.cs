using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A format whose items are (image, label) file pairs listed up front: a subclass says how one part is listed
/// (<see cref="ListPart"/>); opening and checking a split are the same for every such format.
/// </summary>
public abstract class FileListFormat : DatasetFormat
{
    /// <summary>Adds one part's items to <paramref name="items"/>; each problem goes to <paramref name="report"/>
    /// (datasets throw it, the data checker collects them all). <paramref name="fullRoot"/> exists.</summary>
    public abstract void ListPart(string fullRoot, PartConfig part, List<DatasetItem> items, Action<SegmenterException> report);

    /// <summary>A <see cref="FileListDataset"/> of the parts, applying data.reduce_zero_label.</summary>
    public override ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage) =>
        new FileListDataset(this, cfg.Root, parts, numClasses, cfg.IgnoreIndex, cfg.ReduceZeroLabel, DataReadOptions.Of(cfg), readImage);

    public override DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads, Func<string, RgbImage>? readImage) =>
        DataChecker.CheckFileList(this, cfg, numClasses, train, numThreads, readImage);
}
