namespace Segmenter.Config;

/// <summary>Where a YAML node or key came from, so errors can name the file and line (line 0 = not from a file).</summary>
internal readonly record struct ConfigLocation(string Source, int Line, int Column)
{
    public static ConfigLocation Default { get; } = new("<defaults>", 0, 0);

    public override string ToString() => Line > 0 ? $"{Source}:{Line}" : Source;
}

/// <summary>
/// The untyped YAML tree the loader merges (bases, overrides) before mapping onto the records. Unlike a plain
/// dictionary it keeps the location of every key and value, which is what makes file:line errors possible.
/// </summary>
internal abstract class ConfigNode
{
    protected ConfigNode(ConfigLocation location) => Location = location;

    public ConfigLocation Location { get; }

    /// <summary>A deep copy, so merging never aliases nodes of two files.</summary>
    public abstract ConfigNode Clone();
}

/// <summary>A YAML scalar. Plain scalars may be numbers, booleans or null; quoted ones are always strings.</summary>
internal sealed class ConfigScalar : ConfigNode
{
    public ConfigScalar(string value, bool quoted, ConfigLocation location) : base(location)
    {
        Value = value;
        Quoted = quoted;
    }

    public string Value { get; }
    public bool Quoted { get; }

    /// <summary>YAML core-schema null: a plain `null`, `Null`, `NULL`, `~` or an empty value.</summary>
    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    public static ConfigScalar Null(ConfigLocation location) => new("null", false, location);

    public override ConfigNode Clone() => new ConfigScalar(Value, Quoted, Location);

    public override string ToString() => Quoted ? $"'{Value}'" : Value;
}

/// <summary>A YAML sequence.</summary>
internal sealed class ConfigList : ConfigNode
{
    public ConfigList(ConfigLocation location, IEnumerable<ConfigNode>? items = null) : base(location)
    {
        Items = items is null ? [] : [.. items];
    }

    public List<ConfigNode> Items { get; }

    public override ConfigNode Clone() => new ConfigList(Location, Items.Select(i => i.Clone()));
}

/// <summary>One key of a YAML mapping, with the location of the key itself.</summary>
internal sealed record ConfigEntry(string Key, ConfigLocation KeyLocation, ConfigNode Value);

/// <summary>A YAML mapping with string keys, in file order.</summary>
internal sealed class ConfigMap : ConfigNode
{
    private readonly List<ConfigEntry> _entries = [];

    public ConfigMap(ConfigLocation location) : base(location) { }

    public IReadOnlyList<ConfigEntry> Entries => _entries;

    public ConfigEntry? Find(string key) => _entries.Find(e => e.Key == key);

    public ConfigNode? Get(string key) => Find(key)?.Value;

    /// <summary>Adds the key, or replaces its value in place (keeping the key's position).</summary>
    public void Set(string key, ConfigLocation keyLocation, ConfigNode value)
    {
        var index = _entries.FindIndex(e => e.Key == key);
        var entry = new ConfigEntry(key, keyLocation, value);
        if (index >= 0) _entries[index] = entry;
        else _entries.Add(entry);
    }

    public bool Remove(string key) => _entries.RemoveAll(e => e.Key == key) > 0;

    public override ConfigNode Clone()
    {
        var copy = new ConfigMap(Location);
        foreach (var e in _entries) copy._entries.Add(e with { Value = e.Value.Clone() });
        return copy;
    }
}
