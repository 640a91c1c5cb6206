namespace Segmenter.Data;

/// <summary>How the class of a pixel is stored in a label file.</summary>
public enum LabelEncoding
{
    /// <summary>The pixel value is the class index (VOC, folder, Cityscapes *_labelTrainIds.png).</summary>
    Index,
    /// <summary>Cityscapes *_gtFine_labelIds.png: labelIds, mapped to trainIds on load (<see cref="CityscapesLabels"/>).</summary>
    CityscapesLabelIds,
}
