using System.Globalization;

namespace Segmenter.Config;

/// <summary>
/// Maps the merged YAML tree onto the config records: each snake_case key sets the matching init property,
/// missing keys keep the record defaults, and unknown keys or wrongly typed values fail with the file and line.
/// </summary>
internal static class ConfigMapper
{
    public static T Map<T>(ConfigMap root) where T : class, new() => (T)MapRecord(root, typeof(T), new T(), "");

    private static object MapRecord(ConfigNode node, Type type, object? start, string path)
    {
        if (node is not ConfigMap map)
            throw WrongType(node, path, type);
        var target = start ?? Activator.CreateInstance(type)!;
        foreach (var entry in map.Entries)
        {
            var keyPath = Join(path, entry.Key);
            var property = ConfigSchema.Find(type, entry.Key) ?? throw UnknownKey(entry.Key, keyPath, path, type, entry.KeyLocation.ToString());
            var current = property.Property.GetValue(target);
            property.Property.SetValue(target, MapValue(entry.Value, property.Type, property.AllowsNull, current, keyPath));
        }
        CheckTypeSpecificKeys(map, type, target, path);
        return target;
    }

    /// <summary>
    /// A key that only some types read (decode_head.isa_channels, model.panoptic, backbone.axial, ...) may be set only
    /// when the chosen type reads it; the default tree's copies (location &lt;defaults&gt;) are ignored. An unknown type is
    /// left to the validator, which names it with a "did you mean".
    /// </summary>
    private static void CheckTypeSpecificKeys(ConfigMap map, Type type, object target, string path)
    {
        if (ConfigSchema.TypedSection(type) is not { } section || ConfigSchema.TypeOf(target) is not { } chosen || !section.Names.Contains(chosen))
            return;
        foreach (var entry in map.Entries)
        {
            if (entry.KeyLocation == ConfigLocation.Default || section.Reads(chosen, entry.Key)) continue;
            var keyPath = Join(path, entry.Key);
            var readers = section.TypesReading(entry.Key);
            throw new SegmenterException($"'{keyPath}' is not read by {section.TypeKey} '{chosen}'", entry.KeyLocation.ToString(),
                $"remove it (a base file's copy goes with `_delete_: true` on {(path.Length == 0 ? "the section" : path)}), or set {section.TypeKey} to {string.Join(" or ", readers)} (the types that read it)");
        }
    }

    private static object? MapValue(ConfigNode node, Type type, bool allowsNull, object? current, string path)
    {
        if (node is ConfigScalar { IsNull: true })
        {
            if (allowsNull) return null;
            throw WrongType(node, path, type);
        }

        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (ConfigSchema.ListElement(valueType) is { } element)
        {
            if (node is not ConfigList list) throw WrongType(node, path, type);
            var result = (System.Collections.IList)Activator.CreateInstance(valueType)!;
            for (var i = 0; i < list.Items.Count; i++)
                result.Add(MapValue(list.Items[i], element, allowsNull: false, current: null, $"{path}.{i}"));
            return result;
        }
        if (ConfigSchema.IsRecord(valueType))
            return MapRecord(node, valueType, current, path);
        if (valueType == typeof(SizePair))
        {
            if (node is not ConfigList { Items.Count: 2 } pair) throw WrongType(node, path, type);
            var first = (int)MapValue(pair.Items[0], typeof(int), allowsNull: false, current: null, $"{path}.0")!;
            var second = (int)MapValue(pair.Items[1], typeof(int), allowsNull: false, current: null, $"{path}.1")!;
            return new SizePair(first, second);
        }

        if (node is not ConfigScalar scalar) throw WrongType(node, path, type);
        if (valueType == typeof(string)) return scalar.Value;
        if (!scalar.Quoted)
        {
            if (valueType == typeof(int) && TryParseInt(scalar.Value, out var i)) return i;
            if (valueType == typeof(double) && TryParseDouble(scalar.Value, out var d)) return d;
            if (valueType == typeof(bool) && TryParseBool(scalar.Value, out var b)) return b;
        }
        throw WrongType(node, path, type);
    }

    internal static bool TryParseInt(string text, out int value)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        // 4e4 or 40000.0 are whole numbers too.
        if (TryParseDouble(text, out var d) && Math.Floor(d) == d && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    internal static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF": value = double.PositiveInfinity; return true;
            case "-.inf" or "-.Inf" or "-.INF": value = double.NegativeInfinity; return true;
            case ".nan" or ".NaN" or ".NAN": value = double.NaN; return true;
        }
        if (text.Length > 0 && (char.IsDigit(text[0]) || text[0] is '-' or '+' or '.'))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        value = 0;
        return false;
    }

    internal static bool TryParseBool(string text, out bool value)
    {
        value = text is "true" or "True" or "TRUE";
        return value || text is "false" or "False" or "FALSE";
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    internal static SegmenterException UnknownKey(string key, string keyPath, string parentPath, Type recordType, string where)
    {
        var known = ConfigSchema.PropertiesOf(recordType).Select(p => p.Key).ToList();
        var suggestion = ConfigSchema.Suggest(key, known);
        var what = suggestion is null ? $"unknown key '{keyPath}'" : $"unknown key '{keyPath}' (did you mean '{suggestion}'?)";
        var scope = parentPath.Length == 0 ? "the top level" : parentPath;
        return new SegmenterException(what, where, $"keys allowed under {scope}: {string.Join(", ", known)}");
    }

    private static SegmenterException WrongType(ConfigNode node, string path, Type type)
    {
        var got = node switch
        {
            ConfigScalar { IsNull: true } => "null",
            ConfigScalar s => s.Quoted ? $"the string '{s.Value}'" : $"'{s.Value}'",
            ConfigList l => $"a list of {l.Items.Count} item{(l.Items.Count == 1 ? "" : "s")}",
            _ => "a mapping",
        };
        var expected = ConfigSchema.Describe(type);
        var fix = ConfigSchema.IsRecord(Nullable.GetUnderlyingType(type) ?? type)
            ? $"write `{Last(path)}:` followed by indented keys ({string.Join(", ", ConfigSchema.PropertiesOf(type).Select(p => p.Key).Take(6))}, ...)"
            : $"give {Last(path)} {expected}";
        return new SegmenterException($"'{path}' expects {expected}, got {got}", node.Location.ToString(), fix);
    }

    private static string Last(string path) => path[(path.LastIndexOf('.') + 1)..];
}
