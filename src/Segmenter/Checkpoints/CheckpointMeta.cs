using Segmenter.Config;
using Segmenter.IO;
using Serilog;

namespace Segmenter.Checkpoints;

/// <summary>
/// The class names and palette a training checkpoint records in its <c>meta</c>: MMSegmentation 0.x (mmcv runner) saves
/// <c>meta.CLASSES</c> and <c>meta.PALETTE</c>, 1.x (mmengine runner) <c>meta.dataset_meta.classes</c> and
/// <c>.palette</c>; a palette may be a list of [r, g, b] or a numpy array. They fill in a config that names none:
/// the config's own <c>data.class_names</c> / <c>data.palette</c> win, then the checkpoint's, then the dataset type's
/// defaults (<see cref="Data.ClassNames.For"/>, <see cref="Data.Palettes.For"/>), as mmseg's <c>init_model</c> takes the
/// checkpoint's over the dataset class's.
/// </summary>
internal static class CheckpointMeta
{
    /// <summary>Reads the names and palette from the unpickled top-level object of a .pth; null where absent or malformed.</summary>
    public static (IReadOnlyList<string>? ClassNames, IReadOnlyList<(byte R, byte G, byte B)>? Palette) Read(object? top, string source)
    {
        if (Get(top, "meta") is not { } meta) return (null, null);
        var datasetMeta = Get(meta, "dataset_meta");
        var names = Get(meta, "CLASSES") ?? Get(datasetMeta, "classes");
        var palette = Get(meta, "PALETTE") ?? Get(datasetMeta, "palette");
        var classNames = names is null ? null : Names(names);
        var colours = palette is null ? null : Colours(palette);
        if (names is not null && classNames is null)
            Log.Warning("{Source}: the class names in the checkpoint's meta are not a list of strings; ignored", source);
        if (palette is not null && colours is null)
            Log.Warning("{Source}: the palette in the checkpoint's meta is not a list of [r, g, b] (0..255); ignored", source);
        return (classNames, colours);
    }

    /// <summary>
    /// <paramref name="cfg"/> with the checkpoint's class names and palette where the config's lists are empty and the
    /// checkpoint's fit model.num_classes (logged); unchanged otherwise.
    /// </summary>
    public static ExperimentConfig Apply(ExperimentConfig cfg, Checkpoint ckpt)
    {
        int n = cfg.Model.NumClasses;
        List<string>? names = null;
        List<List<int>>? palette = null;
        if (cfg.Data.ClassNames.Count == 0 && ckpt.ClassNames is { } c)
        {
            if (c.Count == n) names = [.. c];
            else Log.Warning("{Source}: the checkpoint's meta names {Count} classes, model.num_classes is {N}; not used", ckpt.Source, c.Count, n);
        }
        if (cfg.Data.Palette.Count == 0 && ckpt.Palette is { } p)
        {
            if (p.Count >= n) palette = p.Take(n).Select(x => new List<int> { x.R, x.G, x.B }).ToList();
            else Log.Warning("{Source}: the checkpoint's meta has {Count} palette colours, model.num_classes is {N}; not used", ckpt.Source, p.Count, n);
        }
        if (names is null && palette is null) return cfg;
        string what = names is not null && palette is not null ? "class names and palette" : names is not null ? "class names" : "palette";
        Log.Information("Using the {What} from the checkpoint's meta ({Source})", what, ckpt.Source);
        return cfg with { Data = cfg.Data with { ClassNames = names ?? cfg.Data.ClassNames, Palette = palette ?? cfg.Data.Palette } };
    }

    private static object? Get(object? dict, string key) =>
        dict switch
        {
            OrderedDictionary<object, object?> d => d.TryGetValue(key, out var v) ? v : null,
            PthReader.PickleObject { Items: { } items } => items.TryGetValue(key, out var v) ? v : null, // a ConfigDict
            _ => null,
        };

    /// <summary>A tuple or list (or numpy array) of elements, each decoded; null for anything else.</summary>
    private static IReadOnlyList<object?>? Sequence(object? v) => PickledNumpy.Decode(v) switch
    {
        object?[] a => a,
        List<object?> l => l,
        _ => null,
    };

    private static List<string>? Names(object value)
    {
        if (Sequence(value) is not { Count: > 0 and <= 256 } items) return null;
        var names = new List<string>(items.Count);
        foreach (var item in items)
            if (item is string s) names.Add(s);
            else return null;
        return names;
    }

    private static List<(byte R, byte G, byte B)>? Colours(object value)
    {
        if (Sequence(value) is not { Count: > 0 and <= 256 } items) return null;
        var colours = new List<(byte, byte, byte)>(items.Count);
        foreach (var item in items)
        {
            if (Sequence(item) is not { Count: 3 } rgb) return null;
            var c = new byte[3];
            for (int i = 0; i < 3; i++)
                if (PickledNumpy.Decode(rgb[i]) is long x && x is >= 0 and <= 255) c[i] = (byte)x;
                else return null;
            colours.Add((c[0], c[1], c[2]));
        }
        return colours;
    }
}
