namespace Segmenter.Data;

/// <summary>
/// data.type coco_panoptic, COCO panoptic 2017 as downloaded (REFERENCE 10.3): annotations/panoptic_{split}.json,
/// annotations/panoptic_{split}/*.png and the photos {split}/&lt;images[].file_name&gt;, split e.g. train2017.
/// </summary>
public sealed class CocoPanopticFormat : PanopticFormat
{
    public override string PngDir(string split) => Path.Combine("annotations", $"panoptic_{split}");

    public override string ImgDir(string split) => split;

    public override string ImagePath(string imgDir, string imageId, IReadOnlyDictionary<string, string> fileNames, string json) =>
        Path.Combine(imgDir, fileNames.TryGetValue(imageId, out var f) ? f
            : throw new SegmenterException($"annotation of image {imageId} has no entry in 'images'", json, "list every annotated image in 'images'"));

    public override string SplitHint => "use train2017 or val2017";
}
