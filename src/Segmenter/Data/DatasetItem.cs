namespace Segmenter.Data;

/// <summary>Where one dataset item lives on disk, known before anything is decoded.</summary>
public sealed record DatasetItem(string Id, string ImagePath, string LabelPath);
