namespace Segmenter.Config;

/// <summary>
/// mmseg-style inheritance: mappings merge key by key (the child wins), lists and scalars are replaced whole,
/// and a child mapping holding `_delete_: true` replaces the base mapping instead of merging into it.
/// </summary>
internal static class ConfigMerger
{
    public const string DeleteKey = "_delete_";

    /// <summary>The merge of <paramref name="child"/> onto <paramref name="baseNode"/>; neither input is modified.</summary>
    public static ConfigNode Merge(ConfigNode? baseNode, ConfigNode child)
    {
        if (child is not ConfigMap childMap) return Strip(child);
        var replace = TakeDelete(childMap);
        if (replace || baseNode is not ConfigMap baseMap) return Strip(child);

        var result = (ConfigMap)baseMap.Clone();
        foreach (var entry in childMap.Entries)
        {
            if (entry.Key == DeleteKey) continue;
            result.Set(entry.Key, entry.KeyLocation, Merge(result.Get(entry.Key), entry.Value));
        }
        return result;
    }

    /// <summary>A copy with every `_delete_` directive removed (after checking it is a boolean).</summary>
    private static ConfigNode Strip(ConfigNode node)
    {
        switch (node)
        {
            case ConfigMap map:
                TakeDelete(map);
                var copy = new ConfigMap(map.Location);
                foreach (var e in map.Entries)
                    if (e.Key != DeleteKey) copy.Set(e.Key, e.KeyLocation, Strip(e.Value));
                return copy;
            case ConfigList list:
                return new ConfigList(list.Location, list.Items.Select(Strip));
            default:
                return node.Clone();
        }
    }

    private static bool TakeDelete(ConfigMap map)
    {
        if (map.Find(DeleteKey) is not { } entry) return false;
        return entry.Value switch
        {
            ConfigScalar { Quoted: false, Value: "true" or "True" or "TRUE" } => true,
            ConfigScalar { Quoted: false, Value: "false" or "False" or "FALSE" } => false,
            _ => throw new SegmenterException($"{DeleteKey} must be true or false", entry.KeyLocation.ToString(),
                $"write `{DeleteKey}: true` to replace the base mapping instead of merging into it"),
        };
    }
}
