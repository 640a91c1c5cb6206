using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Segmenter.Config;

/// <summary>
/// What the config records look like to YAML: the snake_case key of each init property, whether a property is a
/// nested record or a list, and whether null is allowed. One place for the key naming rule and for "did you mean".
/// </summary>
internal static class ConfigSchema
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<ConfigProperty>> Cache = new();
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>The YAML keys of a record type, in declaration order.</summary>
    public static IReadOnlyList<ConfigProperty> PropertiesOf(Type recordType) => Cache.GetOrAdd(recordType, t =>
    {
        lock (Nullability)
        {
            return t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
                .OrderBy(p => p.MetadataToken)
                .Select(p => new ConfigProperty(ToSnakeCase(p.Name), p, AllowsNull(p)))
                .ToList();
        }
    });

    public static ConfigProperty? Find(Type recordType, string key) => PropertiesOf(recordType).FirstOrDefault(p => p.Key == key);

    /// <summary>
    /// The registry that governs a record with a `type` key (model, backbone, decode_head, aux_head, loss): it lists
    /// the allowed types and which of the record's keys only some types read. Null for other records.
    /// </summary>
    public static Models.ITypedSection? TypedSection(Type recordType) =>
        recordType == typeof(ModelConfig) ? Models.ModelRegistry.Segmentors
        : recordType == typeof(BackboneConfig) ? Models.ModelRegistry.Backbones
        : recordType == typeof(DecodeHeadConfig) ? Models.ModelRegistry.DecodeHeads
        : recordType == typeof(AuxHeadConfig) ? Models.ModelRegistry.AuxHeads
        : recordType == typeof(LossConfig) ? Models.ModelRegistry.Losses
        : null;

    /// <summary>The `type` value of a governed record (null when it has none).</summary>
    public static string? TypeOf(object record) => Find(record.GetType(), "type")?.Property.GetValue(record) as string;

    /// <summary>
    /// Does the record's chosen type read <paramref name="key"/>? True for every key of an ungoverned record and for a
    /// governed record's common keys; a type-specific key (e.g. decode_head.isa_channels) only for the types that read it.
    /// </summary>
    public static bool Reads(object record, string key) =>
        TypedSection(record.GetType()) is not { } section || !section.IsTypeSpecific(key)
        || (TypeOf(record) is { } type && section.Reads(type, key));

    /// <summary>A config record: a class (not string, not list) whose public properties are the keys.</summary>
    public static bool IsRecord(Type type) => type.IsClass && type != typeof(string) && ListElement(type) is null;

    /// <summary>The type of the items a YAML list of this type holds (List&lt;T&gt;: T, <see cref="SizePair"/>: int), or null.</summary>
    public static Type? ItemType(Type type) => type == typeof(SizePair) ? typeof(int) : ListElement(type);

    /// <summary>The element type of List&lt;T&gt;, or null for any other type.</summary>
    public static Type? ListElement(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    /// <summary>PascalCase property name to snake_case key: C1InIndex -> c1_in_index, NumClasses -> num_classes.</summary>
    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (prevLowerOrDigit || acronymEnd) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The known key closest to <paramref name="key"/> by edit distance, if it is close enough to be a typo.</summary>
    public static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = Levenshtein(key, k);
            if (d < bestDistance) (best, bestDistance) = (k, d);
        }
        return best is not null && bestDistance <= Math.Max(2, Math.Max(key.Length, best.Length) / 2) ? best : null;
    }

    public static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>A human name for a property type, used in "expected ..." messages.</summary>
    public static string Describe(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner) return Describe(inner);
        if (type == typeof(int)) return "an integer";
        if (type == typeof(double)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a string";
        if (type == typeof(SizePair)) return "two integers [h, w]";
        if (ListElement(type) is { } element) return $"a list of {Plural(Describe(element))}";
        return "a mapping";
    }

    private static string Plural(string described) => described switch
    {
        "an integer" => "integers",
        "a number" => "numbers",
        "true or false" => "booleans",
        "a string" => "strings",
        "a mapping" => "mappings",
        _ when described.StartsWith("a list of ", StringComparison.Ordinal) => "lists of " + described["a list of ".Length..],
        _ => described,
    };

    private static bool AllowsNull(PropertyInfo p) =>
        Nullable.GetUnderlyingType(p.PropertyType) is not null
        || (!p.PropertyType.IsValueType && Nullability.Create(p).WriteState == NullabilityState.Nullable);
}

/// <summary>One YAML key of a record: its snake_case name, the property behind it, and whether `null` is allowed.</summary>
internal sealed record ConfigProperty(string Key, PropertyInfo Property, bool AllowsNull)
{
    public Type Type => Property.PropertyType;
}
