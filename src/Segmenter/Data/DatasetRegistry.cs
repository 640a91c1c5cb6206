using Segmenter.Config;

namespace Segmenter.Data;

/// <summary>
/// The dataset formats by <c>data.type</c> name: the only list of allowed values (ConfigValidator and its "did you
/// mean" hint read <see cref="Names"/>) and the only place a type's name is written. Everything a type decides (its
/// folder layout and file listing, class names, colours, how it is opened and checked) is on its
/// <see cref="DatasetFormat"/>, so adding a format is one new file (the format class) plus one line here.
/// Names are matched case-insensitively when opening, as the dataset factory always has.
/// </summary>
public static class DatasetRegistry
{
    /// <summary>data.type when the config does not set it.</summary>
    public const string Default = "voc";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, DatasetFormat> Formats = new(StringComparer.OrdinalIgnoreCase);
    private static readonly List<string> Order = [];

    static DatasetRegistry()
    {
        Register("voc", new VocFormat());
        Register("folder", new FolderFormat());
        Register("cityscapes", new CityscapesFormat());
        Register("coco_panoptic", new CocoPanopticFormat());
        Register("cityscapes_panoptic", new CityscapesPanopticFormat());
    }

    /// <summary>Registered names, in registration order.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Gate) return Order.ToArray(); }
    }

    /// <summary>The names whose format is a <typeparamref name="T"/> (e.g. the formats with panoptic ground truth).</summary>
    public static IReadOnlyList<string> NamesOf<T>() where T : DatasetFormat
    {
        lock (Gate) return Order.Where(n => Formats[n] is T).ToArray();
    }

    public static void Register(string name, DatasetFormat format)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(format);
        lock (Gate)
        {
            if (!Formats.TryAdd(name, format)) throw new InvalidOperationException($"dataset type '{name}' is already registered");
            Order.Add(name);
        }
    }

    /// <summary>The format of <paramref name="name"/>, or null when none is registered under it.</summary>
    public static DatasetFormat? Find(string name)
    {
        lock (Gate) return Formats.GetValueOrDefault(name);
    }

    /// <summary>The format of <paramref name="name"/>; an unknown name is a SegmenterException naming data.type, the
    /// closest registered name and all of them.</summary>
    public static DatasetFormat Get(string name) => Find(name) ?? throw Unknown(name);

    /// <summary>The panoptic format of <paramref name="name"/>; a type without panoptic ground truth is an error naming those that have it.</summary>
    public static PanopticFormat GetPanoptic(string name) => Get(name) as PanopticFormat
        ?? throw new SegmenterException($"data.type '{name}' has no panoptic ground truth", "data.type",
            $"use one of {string.Join(", ", NamesOf<PanopticFormat>())}");

    /// <summary>The error for a name that is not registered: "unknown dataset type 'x' (did you mean 'y'?)".</summary>
    public static SegmenterException Unknown(string name)
    {
        var names = Names;
        var suggestion = ConfigSchema.Suggest(name, names);
        var hint = suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
        return new SegmenterException($"unknown dataset type '{name}'{hint}", "data.type", $"set data.type to one of {string.Join(", ", names)}");
    }
}
