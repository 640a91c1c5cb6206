using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// What a Cityscapes *_labelIds.png id outside the official table (0..33, cityscapesScripts helpers/labels.py) does.
/// cityscapesScripts stops on such an id ("Unknown label with id", evalPixelLevelSemanticLabeling.py), so by default
/// so do we; data.allow_unknown_label_ids=true maps them to ignore (255) instead. The choice is an argument (the
/// config's value, carried by <see cref="DataReadOptions"/>), so each dataset applies its own config's policy.
/// </summary>
public static class CityscapesLabelPolicy
{
    /// <summary>labelIds to trainIds, refusing an unknown id (first one found, with its pixel) unless <paramref name="allowUnknownLabelIds"/>.</summary>
    public static LabelMap ToTrainIds(LabelMap labelIds, string source, bool allowUnknownLabelIds)
    {
        if (!allowUnknownLabelIds)
            for (int i = 0; i < labelIds.Data.Length; i++)
                if (labelIds.Data[i] > CityscapesLabels.MaxLabelId)
                    throw new SegmenterException(
                        $"labelId {labelIds.Data[i]} at pixel (x={i % labelIds.Width}, y={i / labelIds.Width}) is not in the Cityscapes label table " +
                        $"(ids 0..{CityscapesLabels.MaxLabelId} of cityscapesScripts labels.py, which stops on unknown ids)", source,
                        "repair the label file, or set data.allow_unknown_label_ids=true to train those pixels as ignore (255)");
        return CityscapesLabels.ToTrainIds(labelIds);
    }
}
