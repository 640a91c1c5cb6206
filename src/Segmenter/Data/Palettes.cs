namespace Segmenter.Data;

/// <summary>
/// Class colour maps for writing palette ("P" mode) label PNGs and colour visualisations. Index = class id.
/// </summary>
public static class Palettes
{
    /// <summary>The 21 Pascal VOC class names, index = class id (0 = background).</summary>
    public static IReadOnlyList<string> VocClassNames { get; } =
    [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    /// <summary>The 19 Cityscapes evaluation classes in trainId order.</summary>
    public static IReadOnlyList<string> CityscapesClassNames { get; } =
    [
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation", "terrain",
        "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
    ];

    /// <summary>
    /// The VOC devkit colour map: the bits of the class id are dealt round-robin to R, G, B from the most significant
    /// bit down. Entry 255 (void) is (224,224,192), as in the devkit's label PNGs.
    /// </summary>
    public static (byte R, byte G, byte B)[] Voc(int count = 256)
    {
        if (count is < 0 or > 256) throw new ArgumentOutOfRangeException(nameof(count), count, "the VOC colour map has at most 256 entries");
        var map = new (byte R, byte G, byte B)[count];
        for (int i = 0; i < count; i++)
        {
            int c = i, r = 0, g = 0, b = 0;
            for (int j = 0; j < 8; j++)
            {
                r |= (c & 1) << (7 - j);
                g |= ((c >> 1) & 1) << (7 - j);
                b |= ((c >> 2) & 1) << (7 - j);
                c >>= 3;
            }
            map[i] = ((byte)r, (byte)g, (byte)b);
        }
        return map;
    }

    /// <summary>The Cityscapes colours of the 19 trainIds (cityscapesScripts labels.py; same as mmseg's palette).</summary>
    public static (byte R, byte G, byte B)[] Cityscapes() =>
    [
        (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153), (250, 170, 30),
        (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142),
        (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
    ];

    /// <summary>
    /// The palette for a dataset config: <c>data.palette</c> when given, else the dataset format's colours when they
    /// cover the classes (Cityscapes' 19; rest of the 256 entries from the VOC map), else the VOC colour map (see
    /// <see cref="FromConfig"/>).
    /// </summary>
    public static (byte R, byte G, byte B)[] For(Config.DataConfig data, int numClasses)
    {
        if (data.Palette.Count == 0 && DatasetRegistry.Find(data.Type)?.Colours is { Count: > 0 } colours && numClasses <= colours.Count)
            return FromConfig(colours.Select(c => new List<int> { c.R, c.G, c.B }).ToList(), numClasses);
        return FromConfig(data.Palette, numClasses);
    }

    /// <summary>
    /// The palette for a run: the config's <c>data.palette</c> ([r,g,b] per class, at least <paramref name="numClasses"/>
    /// entries) or, when it is empty, the VOC colour map. Always 256 entries, so every byte label (255 = ignore
    /// included) has a colour; entries the config does not give come from the VOC map.
    /// </summary>
    public static (byte R, byte G, byte B)[] FromConfig(List<List<int>>? palette, int numClasses)
    {
        var map = Voc(256);
        if (palette is null || palette.Count == 0) return map;
        if (palette.Count < numClasses)
            throw new SegmenterException($"data.palette has {palette.Count} colours but model.num_classes is {numClasses}", "data.palette",
                "give one [r, g, b] per class, or leave data.palette empty for the VOC colours");
        if (palette.Count > 256)
            throw new SegmenterException($"data.palette has {palette.Count} colours; at most 256 fit a palette PNG", "data.palette",
                "remove the extra colours");
        for (int i = 0; i < palette.Count; i++)
        {
            var c = palette[i];
            if (c is null || c.Count != 3 || c.Any(v => v is < 0 or > 255))
                throw new SegmenterException($"data.palette[{i}] is [{string.Join(", ", c ?? [])}]; expected [r, g, b] with values 0..255",
                    "data.palette", "write each colour as three integers 0..255");
            map[i] = ((byte)c[0], (byte)c[1], (byte)c[2]);
        }
        return map;
    }
}
