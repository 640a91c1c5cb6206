using System.Globalization;

namespace Segmenter.Config;

/// <summary>
/// Applies `--cfg-options key.path=value` overrides to the merged tree. The value is read as YAML (3, 0.1, true,
/// [1, 2], null, abc); dotted keys walk mappings and, with a number, list items (data.train.parts.0.split=...).
/// Keys are checked against the records while walking, so a typo is reported for the option, not for a file.
/// </summary>
internal static class ConfigOverrides
{
    public const string Example = "optimizer.lr=0.02";

    public static void Apply(ConfigMap root, string option)
    {
        var source = $"--cfg-options '{option}'";
        var equals = option.IndexOf('=');
        if (equals < 0)
            throw new SegmenterException("missing '=' between key and value", source, $"write key.path=value, e.g. {Example}");
        var key = option[..equals].Trim();
        if (key.Length == 0)
            throw new SegmenterException("empty key before '='", source, $"write key.path=value, e.g. {Example}");
        var segments = key.Split('.');
        if (segments.Any(s => s.Length == 0))
            throw new SegmenterException($"empty part in key '{key}'", source, $"separate keys with single dots, e.g. {Example}");

        var value = YamlTreeReader.ReadValue(option[(equals + 1)..].Trim(), source);
        var location = new ConfigLocation(source, 0, 0);

        ConfigNode node = root;
        var type = typeof(ExperimentConfig);
        var path = "";
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            var parentPath = path;
            path = path.Length == 0 ? segment : $"{path}.{segment}";
            var valueType = Nullable.GetUnderlyingType(type) ?? type;

            if (ConfigSchema.ItemType(valueType) is { } element)
            {
                if (node is not ConfigList list)
                    throw new SegmenterException($"'{parentPath}' is null here, so it has no item {segment}", source,
                        $"set the whole list instead, e.g. {parentPath}=[...]");
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= list.Items.Count)
                    throw new SegmenterException($"'{segment}' is not an item of '{parentPath}' (it has {list.Items.Count} items, numbered from 0)", source,
                        $"use an index below {list.Items.Count}, or set the whole list: {parentPath}=[...]");
                if (last) list.Items[index] = ConfigMerger.Merge(list.Items[index], value);
                else node = list.Items[index] = Container(list.Items[index], element, location);
                type = element;
                continue;
            }

            if (!ConfigSchema.IsRecord(valueType) || node is not ConfigMap map)
                throw new SegmenterException($"'{parentPath}' is not a mapping, so it has no key '{segment}'", source,
                    $"set {parentPath} itself, e.g. {parentPath}=<value>");
            var property = ConfigSchema.Find(valueType, segment)
                ?? throw ConfigMapper.UnknownKey(segment, path, parentPath, valueType, source);
            if (last) map.Set(segment, location, ConfigMerger.Merge(map.Get(segment), value));
            else
            {
                var child = Container(map.Get(segment), property.Type, location);
                map.Set(segment, map.Find(segment)?.KeyLocation ?? location, child);
                node = child;
            }
            type = property.Type;
        }
    }

    /// <summary>The node to descend into: the existing one, or an empty mapping where a record is null/absent.</summary>
    private static ConfigNode Container(ConfigNode? existing, Type type, ConfigLocation location)
    {
        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (existing is ConfigMap or ConfigList) return existing;
        if (ConfigSchema.IsRecord(valueType)) return new ConfigMap(location);
        return existing ?? ConfigScalar.Null(location);
    }
}
