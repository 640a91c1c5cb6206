namespace Segmenter.Data;

/// <summary>
/// data.type cityscapes_panoptic, the output of cityscapesScripts createPanopticImgs (REFERENCE 10.2):
/// gtFine/cityscapes_panoptic_{split}.json and folder, photos leftImg8bit/{split}/{city}/{image_id}_leftImg8bit.png.
/// The json's images[].file_name names the PNG, not the photo (the known createPanopticImgs quirk), so the photo's path
/// comes from the image id, whose first '_' field is the city.
/// </summary>
public sealed class CityscapesPanopticFormat : PanopticFormat
{
    public override string PngDir(string split) => Path.Combine("gtFine", $"cityscapes_panoptic_{split}");

    public override string ImgDir(string split) => Path.Combine("leftImg8bit", split);

    public override string ImagePath(string imgDir, string imageId, IReadOnlyDictionary<string, string> fileNames, string json) =>
        Path.Combine(imgDir, imageId.Split('_')[0], imageId + "_leftImg8bit.png");

    public override string SplitHint => "use train or val";
}
