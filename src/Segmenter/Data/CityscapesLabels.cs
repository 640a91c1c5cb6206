using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// The Cityscapes label definitions of cityscapesScripts helpers/labels.py (REFERENCE 10.2): labelId (0..33) to
/// trainId (19 evaluated classes 0..18, everything else 255), the inverse used for benchmark submissions, the
/// labelId colours of *_gtFine_color.png, and the instanceIds encoding (labelId·1000 + k, or the plain labelId).
/// </summary>
public static class CityscapesLabels
{
    /// <summary>Number of evaluated classes (trainIds 0..18).</summary>
    public const int NumClasses = 19;

    /// <summary>Largest labelId in labels.py (bicycle); license plate (-1) is never drawn into the PNGs.</summary>
    public const int MaxLabelId = 33;

    /// <summary>trainId of each labelId 0..33 (labels.py column trainId; 255 = ignored in training and evaluation).</summary>
    private static readonly byte[] TrainIdOfLabelId =
    [
        255, 255, 255, 255, 255, 255, 255, // 0-6 unlabeled, ego vehicle, rectification border, out of roi, static, dynamic, ground
        0, 1, 255, 255,                    // 7 road, 8 sidewalk, 9 parking, 10 rail track
        2, 3, 4, 255, 255, 255,            // 11 building, 12 wall, 13 fence, 14 guard rail, 15 bridge, 16 tunnel
        5, 255, 6, 7, 8, 9, 10,            // 17 pole, 18 polegroup, 19 traffic light, 20 traffic sign, 21 vegetation, 22 terrain, 23 sky
        11, 12, 13, 14, 15, 255, 255,      // 24 person, 25 rider, 26 car, 27 truck, 28 bus, 29 caravan, 30 trailer
        16, 17, 18,                        // 31 train, 32 motorcycle, 33 bicycle
    ];

    /// <summary>The labelId of each trainId 0..18 (what the official evaluation server expects in submissions).</summary>
    public static IReadOnlyList<int> LabelIdOfTrainId { get; } = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33];

    /// <summary>The colour of each labelId 0..33 in *_gtFine_color.png (labels.py column color).</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> LabelIdColors { get; } =
    [
        (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (111, 74, 0), (81, 0, 81),
        (128, 64, 128), (244, 35, 232), (250, 170, 160), (230, 150, 140),
        (70, 70, 70), (102, 102, 156), (190, 153, 153), (180, 165, 180), (150, 100, 100), (150, 120, 90),
        (153, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180),
        (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 0, 90), (0, 0, 110),
        (0, 80, 100), (0, 0, 230), (119, 11, 32),
    ];

    /// <summary>trainId of a labelId; unknown ids (negative or above 33) give 255, as createTrainIdLabelImgs never draws them.</summary>
    public static byte TrainId(int labelId) => labelId is >= 0 and <= MaxLabelId ? TrainIdOfLabelId[labelId] : (byte)255;

    /// <summary>labelId of a trainId 0..18; 255 (or anything else) gives 0 (unlabeled).</summary>
    public static byte LabelId(int trainId) => trainId is >= 0 and < NumClasses ? (byte)LabelIdOfTrainId[trainId] : (byte)0;

    /// <summary>A *_gtFine_labelIds.png map turned into trainIds, pixel by pixel.</summary>
    public static LabelMap ToTrainIds(LabelMap labelIds)
    {
        var data = new byte[labelIds.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = TrainId(labelIds.Data[i]);
        return labelIds with { Data = data };
    }

    /// <summary>A prediction in trainIds turned into labelIds for the official benchmark (evalPixelLevelSemanticLabeling).</summary>
    public static LabelMap ToLabelIds(LabelMap trainIds)
    {
        var data = new byte[trainIds.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = LabelId(trainIds.Data[i]);
        return trainIds with { Data = data };
    }

    /// <summary>labelId of an instanceIds.png value: v // 1000 for instances (v ≥ 1000), else v itself (stuff and crowd regions).</summary>
    public static int LabelIdOfInstanceId(int value) => value >= 1000 ? value / 1000 : value;

    /// <summary>The *_gtFine_color.png rendering of a labelId map.</summary>
    public static RgbImage Colorize(LabelMap labelIds)
    {
        var rgb = new byte[labelIds.Data.Length * 3];
        for (int i = 0; i < labelIds.Data.Length; i++)
        {
            int id = labelIds.Data[i];
            var (r, g, b) = id <= MaxLabelId ? LabelIdColors[id] : ((byte)0, (byte)0, (byte)0);
            rgb[i * 3] = r; rgb[i * 3 + 1] = g; rgb[i * 3 + 2] = b;
        }
        return new RgbImage(labelIds.Width, labelIds.Height, rgb);
    }
}
