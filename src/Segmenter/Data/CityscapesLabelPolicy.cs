using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// What a Cityscapes *_labelIds.png id outside the official table (0..33, cityscapesScripts helpers/labels.py) does.
/// cityscapesScripts stops on such an id ("Unknown label with id", evalPixelLevelSemanticLabeling.py), so by default
/// so do we; data.allow_unknown_label_ids=true maps them to ignore (255) instead. Set from the config when a CLI verb
/// loads it; <see cref="Scope"/> overrides it for one async flow (tests).
/// </summary>
public static class CityscapesLabelPolicy
{
    private static volatile bool _allowUnknown;
    private static readonly AsyncLocal<bool?> Scoped = new();

    /// <summary>data.allow_unknown_label_ids.</summary>
    public static bool AllowUnknownLabelIds
    {
        get => Scoped.Value ?? _allowUnknown;
        set => _allowUnknown = value;
    }

    public static IDisposable Scope(bool allowUnknown)
    {
        var previous = Scoped.Value;
        Scoped.Value = allowUnknown;
        return new Restore(() => Scoped.Value = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>labelIds to trainIds, refusing an unknown id (first one found, with its pixel) unless allowed.</summary>
    public static LabelMap ToTrainIds(LabelMap labelIds, string source)
    {
        if (!AllowUnknownLabelIds)
            for (int i = 0; i < labelIds.Data.Length; i++)
                if (labelIds.Data[i] > CityscapesLabels.MaxLabelId)
                    throw new SegmenterException(
                        $"labelId {labelIds.Data[i]} at pixel (x={i % labelIds.Width}, y={i / labelIds.Width}) is not in the Cityscapes label table " +
                        $"(ids 0..{CityscapesLabels.MaxLabelId} of cityscapesScripts labels.py, which stops on unknown ids)", source,
                        "repair the label file, or set data.allow_unknown_label_ids=true to train those pixels as ignore (255)");
        return CityscapesLabels.ToTrainIds(labelIds);
    }
}
