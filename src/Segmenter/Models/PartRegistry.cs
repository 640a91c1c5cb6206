using Segmenter.Config;

namespace Segmenter.Models;

/// <summary>
/// What the config layer needs from a registry: the allowed `type` values of one config section and which of the
/// section's keys only some types read (e.g. decode_head.isa_channels only for isa). ConfigValidator checks `type`
/// against <see cref="Names"/>, ConfigMapper rejects a type-specific key the chosen type does not read, and
/// ConfigWriter leaves such keys out, so `config show` prints only what the model uses.
/// </summary>
public interface ITypedSection
{
    /// <summary>The full key of the `type` value, e.g. model.decode_head.type.</summary>
    string TypeKey { get; }

    /// <summary>Registered type names, in registration order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Is <paramref name="key"/> (a key of this section) read by only some types?</summary>
    bool IsTypeSpecific(string key);

    /// <summary>Does type <paramref name="type"/> read <paramref name="key"/>? (Common keys: always.)</summary>
    bool Reads(string type, string key);

    /// <summary>The types that read a type-specific key.</summary>
    IReadOnlyList<string> TypesReading(string key);
}

/// <summary>
/// One model part's registry: type name -> builder, plus the section keys each type reads beyond the common ones.
/// It is the only list of allowed `type` values: the validator, its "did you mean" hint and
/// <see cref="ModelFactory"/> all read it. Register at startup (see <see cref="ModelRegistry"/>).
/// </summary>
/// <typeparam name="TBuild">The builder delegate, e.g. Func&lt;ModelConfig, Backbone, DecodeHead&gt;.</typeparam>
public sealed class PartRegistry<TBuild> : ITypedSection where TBuild : Delegate
{
    private readonly object _lock = new();
    private readonly Dictionary<string, (TBuild Build, string[] Reads)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly string _what;

    /// <param name="typeKey">Full key of the type value, e.g. model.decode_head.type.</param>
    /// <param name="what">What a type names, for messages, e.g. "decode head type".</param>
    public PartRegistry(string typeKey, string what)
    {
        TypeKey = typeKey;
        _what = what;
    }

    public string TypeKey { get; }

    public IReadOnlyList<string> Names
    {
        get { lock (_lock) return _names.ToArray(); }
    }

    /// <summary>Adds a type. <paramref name="reads"/>: the section's keys that this type reads and not every type does
    /// (snake_case, as in YAML, e.g. "isa_channels"); a key no type lists is common to all types.</summary>
    public void Register(string name, TBuild build, params string[] reads)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(build);
        lock (_lock)
        {
            if (!_entries.TryAdd(name, (build, reads.ToArray())))
                throw new InvalidOperationException($"{_what} '{name}' is already registered");
            _names.Add(name);
        }
    }

    public bool Contains(string name)
    {
        lock (_lock) return _entries.ContainsKey(name);
    }

    /// <summary>The builder of <paramref name="name"/>; an unknown name is a SegmenterException naming the key,
    /// the closest registered name and all of them.</summary>
    public TBuild Get(string name)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(name, out var entry)) return entry.Build;
        }
        throw Unknown(name);
    }

    /// <summary>The error for a type name that is not registered: "unknown ... 'x' (did you mean 'y'?)".</summary>
    public SegmenterException Unknown(string name)
    {
        var names = Names;
        var suggestion = ConfigSchema.Suggest(name, names);
        var hint = suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
        return new SegmenterException($"unknown {_what} '{name}'{hint}", TypeKey, $"set {TypeKey} to one of {string.Join(", ", names)}");
    }

    public bool IsTypeSpecific(string key)
    {
        lock (_lock) return _entries.Values.Any(e => e.Reads.Contains(key));
    }

    public bool Reads(string type, string key)
    {
        lock (_lock)
        {
            if (!_entries.Values.Any(e => e.Reads.Contains(key))) return true;
            return _entries.TryGetValue(type, out var entry) && entry.Reads.Contains(key);
        }
    }

    public IReadOnlyList<string> TypesReading(string key)
    {
        lock (_lock) return _names.Where(n => _entries[n].Reads.Contains(key)).ToArray();
    }
}
