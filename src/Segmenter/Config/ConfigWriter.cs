using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Segmenter.Config;

/// <summary>
/// Writes a config as YAML with every property the chosen types read visible (snake_case keys, nulls as `null`), so
/// `segment config show` and the copy saved next to a run say exactly what was used. The output loads back to an
/// equal config (keys a type does not read keep their defaults).
/// </summary>
public static partial class ConfigWriter
{
    /// <summary>The whole config as YAML.</summary>
    public static string ToYaml(ExperimentConfig config) => Emit(ToTree(config, ConfigLocation.Default));

    /// <summary>Any YAML tree (e.g. a merged, not yet mapped one) as YAML text.</summary>
    internal static string Emit(ConfigMap root)
    {
        var sb = new StringBuilder();
        WriteMap(sb, root, 0);
        return sb.ToString();
    }

    /// <summary>A record as a YAML tree: every property its chosen types read (decode_head.isa_channels only for
    /// type isa, model.panoptic only for panoptic_deeplab, ...; see <see cref="ConfigSchema.Reads"/>).</summary>
    internal static ConfigMap ToTree(object record, ConfigLocation location)
    {
        var map = new ConfigMap(location);
        foreach (var property in ConfigSchema.PropertiesOf(record.GetType()))
            if (ConfigSchema.Reads(record, property.Key))
                map.Set(property.Key, location, ValueToNode(property.Property.GetValue(record), location));
        return map;
    }

    private static ConfigNode ValueToNode(object? value, ConfigLocation location) => value switch
    {
        null => ConfigScalar.Null(location),
        string s => new ConfigScalar(s, quoted: true, location),
        bool b => new ConfigScalar(b ? "true" : "false", quoted: false, location),
        int i => new ConfigScalar(i.ToString(CultureInfo.InvariantCulture), quoted: false, location),
        double d => new ConfigScalar(FormatDouble(d), quoted: false, location),
        SizePair p => new ConfigList(location, [ValueToNode(p.H, location), ValueToNode(p.W, location)]),
        IList list => new ConfigList(location, list.Cast<object?>().Select(v => ValueToNode(v, location))),
        _ => ToTree(value, location),
    };

    /// <summary>Shortest round-trip text, always recognisable as a float (1 -> 1.0).</summary>
    internal static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return ".nan";
        if (double.IsPositiveInfinity(d)) return ".inf";
        if (double.IsNegativeInfinity(d)) return "-.inf";
        // YAML 1.1 readers (PyYAML) want a dot in the mantissa and a signed exponent: 1E-05 -> 1.0e-05.
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E');
        var mantissa = e < 0 ? text : text[..e];
        if (!mantissa.Contains('.')) mantissa += ".0";
        if (e < 0) return mantissa;
        var exponent = text[(e + 1)..];
        return $"{mantissa}e{(exponent.StartsWith('-') || exponent.StartsWith('+') ? exponent : "+" + exponent)}";
    }

    private static void WriteMap(StringBuilder sb, ConfigMap map, int indent)
    {
        foreach (var entry in map.Entries)
        {
            sb.Append(' ', indent).Append(FormatKey(entry.Key)).Append(':');
            WriteValueAfterKey(sb, entry.Value, indent);
        }
    }

    private static void WriteValueAfterKey(StringBuilder sb, ConfigNode value, int indent)
    {
        switch (value)
        {
            case ConfigMap { Entries.Count: 0 }:
                sb.Append(" {}\n");
                break;
            case ConfigMap child:
                sb.Append('\n');
                WriteMap(sb, child, indent + 2);
                break;
            case ConfigList list when IsFlow(list):
                sb.Append(' ').Append(FormatFlow(list)).Append('\n');
                break;
            case ConfigList list:
                sb.Append('\n');
                WriteBlockList(sb, list, indent + 2);
                break;
            case ConfigScalar scalar:
                sb.Append(' ').Append(FormatScalar(scalar)).Append('\n');
                break;
        }
    }

    private static void WriteBlockList(StringBuilder sb, ConfigList list, int indent)
    {
        foreach (var item in list.Items)
        {
            switch (item)
            {
                case ConfigMap { Entries.Count: > 0 } map:
                    var inner = new StringBuilder();
                    WriteMap(inner, map, indent + 2);
                    // The first key goes on the dash line: "- img_dir: JPEGImages".
                    sb.Append(' ', indent).Append("- ").Append(inner.ToString(indent + 2, inner.Length - indent - 2));
                    break;
                case ConfigList nested when !IsFlow(nested):
                    sb.Append(' ', indent).Append("-\n");
                    WriteBlockList(sb, nested, indent + 2);
                    break;
                default:
                    sb.Append(' ', indent).Append("- ").Append(FormatFlowItem(item)).Append('\n');
                    break;
            }
        }
    }

    /// <summary>Short lists of numbers (and lists of those) read best on one line; strings and mappings go one per line.</summary>
    private static bool IsFlow(ConfigList list) =>
        list.Items.Count == 0 || list.Items.All(i => i is ConfigScalar { Quoted: false } || (i is ConfigList l && l.Items.Count > 0 && IsFlow(l)));

    private static string FormatFlow(ConfigList list) => "[" + string.Join(", ", list.Items.Select(FormatFlowItem)) + "]";

    private static string FormatFlowItem(ConfigNode node) => node switch
    {
        ConfigScalar s => FormatScalar(s),
        ConfigList l => FormatFlow(l),
        ConfigMap { Entries.Count: 0 } => "{}",
        ConfigMap m => "{" + string.Join(", ", m.Entries.Select(e => $"{FormatKey(e.Key)}: {FormatFlowItem(e.Value)}")) + "}",
        _ => throw new InvalidOperationException(),
    };

    private static string FormatKey(string key) => SafePlain().IsMatch(key) && !LooksTyped(key) ? key : Quote(key);

    private static string FormatScalar(ConfigScalar scalar)
    {
        if (!scalar.Quoted) return scalar.Value.Length == 0 ? "null" : scalar.Value;
        return SafePlain().IsMatch(scalar.Value) && !LooksTyped(scalar.Value) ? scalar.Value : Quote(scalar.Value);
    }

    /// <summary>Would a plain scalar with this text read as something other than a string (null, bool, number)?</summary>
    private static bool LooksTyped(string text) =>
        text is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
            or "yes" or "Yes" or "YES" or "no" or "No" or "NO" or "on" or "On" or "ON" or "off" or "Off" or "OFF" or "y" or "n" or "Y" or "N"
        || NumberLike().IsMatch(text);

    private static string Quote(string text)
    {
        if (!text.Any(char.IsControl)) return "'" + text.Replace("'", "''") + "'";
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    // Plain scalars limited to characters that never mean anything to YAML in block or flow context.
    [GeneratedRegex(@"^[A-Za-z0-9_./()][A-Za-z0-9_./\-+@()]*( [A-Za-z0-9_./\-+@()]+)*$")]
    private static partial Regex SafePlain();

    [GeneratedRegex(@"^[-+]?(\.?[0-9]|\.(inf|Inf|INF|nan|NaN|NAN)$|0x|0o)")]
    private static partial Regex NumberLike();
}
