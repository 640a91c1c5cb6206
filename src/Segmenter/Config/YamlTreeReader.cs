using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Segmenter.Config;

/// <summary>
/// Turns YAML text into a <see cref="ConfigNode"/> tree with locations. YamlDotNet does the parsing; this only
/// converts its representation model and reports parser errors as one-line file:line:column messages.
/// </summary>
internal static class YamlTreeReader
{
    private const string StrTag = "tag:yaml.org,2002:str";

    /// <summary>Parses a whole config file; the top level must be a mapping (an empty file is an empty mapping).</summary>
    public static ConfigMap ReadDocument(string text, string source)
    {
        var root = ReadRoot(text, source);
        return root switch
        {
            null => new ConfigMap(new ConfigLocation(source, 1, 1)),
            ConfigMap map => map,
            ConfigScalar { IsNull: true } s => new ConfigMap(s.Location),
            _ => throw new SegmenterException(
                "the top level of a config file must be a mapping of keys (e.g. `model:`)", root.Location.ToString(),
                "write `key: value` lines at the top level"),
        };
    }

    /// <summary>Parses one value (a --cfg-options right-hand side): a scalar, a flow list or a flow map.</summary>
    public static ConfigNode ReadValue(string text, string source)
    {
        var location = new ConfigLocation(source, 0, 0);
        if (string.IsNullOrWhiteSpace(text)) return ConfigScalar.Null(location);
        var root = ReadRoot(text, source, location) ?? ConfigScalar.Null(location);
        return root;
    }

    private static ConfigNode? ReadRoot(string text, string source, ConfigLocation? fixedLocation = null)
    {
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var inner = Innermost(e);
            var where = fixedLocation is { } f ? f.Source : $"{source}:{inner.Start.Line}:{inner.Start.Column}";
            var message = OneLine(inner.Message);
            var fix = message.StartsWith("Duplicate key", StringComparison.Ordinal)
                ? "write each key once per mapping"
                : "fix the YAML syntax at that position (indentation, ':' after keys, matching brackets and quotes)";
            throw new SegmenterException($"malformed YAML: {message}", where, fix, e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this (without a position) on some unterminated flow collections.
            var where = fixedLocation is { } f ? f.Source : $"{source}:{parser.LastGood.Line}:{parser.LastGood.Column}";
            throw new SegmenterException("malformed YAML: cannot parse past this point (unclosed '[', '{' or quote?)", where,
                "close every bracket and quote", e);
        }
        catch (ArgumentException e)
        {
            throw new SegmenterException($"malformed YAML: {OneLine(e.Message)}", source, "remove the repeated key", e);
        }

        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
            throw new SegmenterException("a config file must hold one YAML document, found several ('---')", source,
                "split the documents into separate files and use _base_");
        return Convert(stream.Documents[0].RootNode, source, fixedLocation);
    }

    private static ConfigNode Convert(YamlNode node, string source, ConfigLocation? fixedLocation)
    {
        var location = fixedLocation ?? At(node.Start, source);
        switch (node)
        {
            case YamlScalarNode scalar:
                var quoted = scalar.Style is not ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == StrTag);
                return new ConfigScalar(scalar.Value ?? "", quoted, location);
            case YamlSequenceNode sequence:
                return new ConfigList(location, sequence.Children.Select(c => Convert(c, source, fixedLocation)));
            case YamlMappingNode mapping:
                var map = new ConfigMap(location);
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    var keyLocation = fixedLocation ?? At(keyNode.Start, source);
                    if (keyNode is not YamlScalarNode { Value: { } key })
                        throw new SegmenterException("a mapping key must be a plain name", keyLocation.ToString(),
                            "use snake_case names such as `num_classes` as keys");
                    if (map.Find(key) is not null)
                        throw new SegmenterException($"duplicate key '{key}'", keyLocation.ToString(), "write each key once per mapping");
                    map.Set(key, keyLocation, Convert(valueNode, source, fixedLocation));
                }
                return map;
            default:
                throw new SegmenterException($"unsupported YAML node {node.NodeType}", location.ToString(),
                    "use plain mappings, lists and scalars");
        }
    }

    /// <summary>Remembers where the last successfully parsed event ended, for errors YamlDotNet reports without a position.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = Mark.Empty;

        public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            var moved = inner.MoveNext();
            if (moved && inner.Current is { } current) LastGood = current.End;
            return moved;
        }
    }

    private static ConfigLocation At(Mark mark, string source) => new(source, (int)mark.Line, (int)mark.Column);

    private static YamlException Innermost(YamlException e) => e.InnerException is YamlException inner ? Innermost(inner) : e;

    private static string OneLine(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): " to its messages; the location is printed separately.
        var text = message.ReplaceLineEndings(" ").Trim();
        var cut = text.LastIndexOf("): ", StringComparison.Ordinal);
        return text.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0 ? text[(cut + 3)..] : text;
    }
}
