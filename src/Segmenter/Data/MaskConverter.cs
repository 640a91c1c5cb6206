using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// `segment data convert masks`: RGB colour masks (what annotation tools and VOC's SegmentationClass look like when
/// saved as RGB) to single-channel class-index PNGs (saved as palette PNGs with the same colours, so they still look
/// the same), by exact colour lookup in a palette: a data.type whose format has a <see cref="MaskPalette"/> (voc: the
/// VOC colour map, its 255 = (224, 224, 192) border colour maps to 255 = ignore; cityscapes: the 19 trainId colours,
/// black = 255 ignore) or a FILE (one "r g b" or "r,g,b" line per class index, or a JSON list of [r, g, b]). A colour not in the palette is an error naming the file, the
/// colour and the first pixel holding it: silently mapping it would train on wrong labels.
/// </summary>
public static class MaskConverter
{
    public static (byte R, byte G, byte B)[] LoadPalette(string spec)
    {
        if (Named(spec) is { } named) return named.Colours;
        if (!File.Exists(spec))
            throw new SegmenterException("palette file not found", spec,
                $"pass --palette {string.Join(", ", PaletteNames)}, or a file with one 'r g b' line per class");
        var text = File.ReadAllText(spec).Trim();
        var colours = new List<(byte, byte, byte)>();
        IEnumerable<string[]> rows = text.StartsWith('[')
            ? System.Text.Json.JsonSerializer.Deserialize<List<List<int>>>(text)!.Select(r => r.Select(v => v.ToString()).ToArray())
            : text.Split('\n').Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0)
                .Select(l => l.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries));
        int line = 0;
        foreach (var r in rows)
        {
            line++;
            if (r.Length != 3 || !r.All(v => byte.TryParse(v, out _)))
                throw new SegmenterException($"palette entry {line} is '{string.Join(" ", r)}', not three values 0..255", spec, "write one 'r g b' line per class index");
            colours.Add((byte.Parse(r[0]), byte.Parse(r[1]), byte.Parse(r[2])));
        }
        if (colours.Count is 0 or > 256)
            throw new SegmenterException($"palette has {colours.Count} colours", spec, "give 1..256 colours, one per class index");
        return colours.ToArray();
    }

    /// <summary>Converts every *.png under <paramref name="inputDir"/> (or one file) into <paramref name="outDir"/>; returns how many.</summary>
    public static int Convert(string input, string outDir, (byte R, byte G, byte B)[] palette, string spec)
    {
        var files = File.Exists(input) ? [input]
            : Directory.Exists(input) ? Directory.GetFiles(input, "*.png").Order(StringComparer.Ordinal).ToArray()
            : throw new SegmenterException("input not found", input, "pass a colour mask PNG or a folder of them");
        if (files.Length == 0) throw new SegmenterException("no *.png files", input, "pass a folder holding colour mask PNGs");
        var lookup = Lookup(palette, spec);
        Directory.CreateDirectory(outDir);
        foreach (var file in files)
        {
            var rgb = ImageIO.PngToRgb(PngCodec.Decode(file), file);
            var label = ToIndices(rgb, lookup, file);
            ImageIO.WriteLabelPng(Path.Combine(outDir, Path.GetFileName(file)), label, palette);
        }
        return files.Length;
    }

    public static LabelMap ToIndices(RgbImage rgb, IReadOnlyDictionary<int, byte> lookup, string source)
    {
        var data = new byte[rgb.Width * rgb.Height];
        for (int i = 0; i < data.Length; i++)
        {
            var c = (rgb.Data[i * 3], rgb.Data[i * 3 + 1], rgb.Data[i * 3 + 2]);
            if (!lookup.TryGetValue(Key(c), out data[i]))
                throw new SegmenterException($"colour ({c.Item1}, {c.Item2}, {c.Item3}) at x={i % rgb.Width}, y={i / rgb.Width} is not in the palette", source,
                    "add the colour to a palette file (one 'r g b' line per class index) and pass --palette FILE, or fix the mask (anti-aliased edges are not class colours)");
        }
        return new LabelMap(rgb.Width, rgb.Height, data);
    }

    /// <summary>Colour → index; the first index wins for a repeated colour. A named palette matches only its class
    /// colours and its ignore colour (→ 255), e.g. Cityscapes: its 19 colours and black.</summary>
    public static Dictionary<int, byte> Lookup((byte R, byte G, byte B)[] palette, string spec)
    {
        var lookup = new Dictionary<int, byte>();
        var named = Named(spec);
        int n = named?.Matched ?? palette.Length;
        for (int i = n - 1; i >= 0; i--) lookup[Key(palette[i])] = (byte)i;
        if (named?.IgnoreColour is { } ignore) lookup.TryAdd(Key(ignore), 255);
        return lookup;
    }

    /// <summary>The data.type names --palette accepts: the formats with a <see cref="MaskPalette"/>.</summary>
    public static IReadOnlyList<string> PaletteNames =>
        DatasetRegistry.Names.Where(n => DatasetRegistry.Find(n)?.MaskPalette is not null).ToArray();

    private static MaskPalette? Named(string spec) => PaletteNames.Contains(spec, StringComparer.Ordinal) ? DatasetRegistry.Find(spec)!.MaskPalette : null;

    private static int Key((byte R, byte G, byte B) c) => c.R << 16 | c.G << 8 | c.B;
}
