using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// ({name: {dtype, shape, data_offsets}}, optional "__metadata__" of strings), then raw little-endian data.
/// Tensors come back on the CPU, owned by the caller (not by any DisposeScope that is open).
/// </summary>
public static class SafeTensors
{
    public sealed record Contents(Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata);

    public static Contents Load(string path)
    {
        if (!File.Exists(path))
            throw new SegmenterException("file not found", path, "check the path");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new SegmenterException($"cannot read: {e.Message}", path, "check permissions", e); }
        // Say what the file is when it is something else (a .pth, a text file, an image) rather than "bad header".
        var kind = WeightFileFormat.Detect(bytes.AsSpan(0, Math.Min(64, bytes.Length)), bytes.Length);
        if (kind is not (WeightFileFormat.Kind.SafeTensors or WeightFileFormat.Kind.Unknown))
            throw WeightFileFormat.NotAccepted(path, kind);
        return Parse(bytes, path);
    }

    /// <summary>The largest header the reference implementation accepts (safetensors/src/tensor.rs MAX_HEADER_SIZE).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Parses and validates a whole safetensors file, with the checks of the reference implementation
    /// (huggingface/safetensors, tensor.rs Metadata::validate): the header is a JSON object of entries
    /// {dtype, shape, data_offsets}; dtypes are known; shapes are non-negative and their element count does not
    /// overflow; offsets are non-negative, begin &lt;= end, and the tensors tile the data section in order without
    /// gaps or overlaps up to the end of the file; each tensor's byte count is its element count times its dtype size.
    /// Every violation is one SegmenterException naming the file, the tensor and the accepted format.
    /// </summary>
    public static Contents Parse(byte[] bytes, string source = "<memory>")
    {
        SegmenterException Bad(string what) => new($"invalid safetensors file: {what}", source,
            "re-export or re-download the file; accepted: " + WeightFileFormat.Accepted);
        if (bytes.Length < 8)
            throw Bad("too short for the 8-byte header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > (ulong)(bytes.Length - 8))
            throw Bad($"header length {headerLen} runs past the end of the file ({bytes.Length} bytes; truncated?)");
        if (headerLen > MaxHeaderBytes)
            throw Bad($"header of {headerLen} bytes is larger than the {MaxHeaderBytes} the format allows");
        JsonObject header;
        try
        {
            var node = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen));
            header = node as JsonObject ?? throw Bad($"the header is {Kind(node)}, not a JSON object");
        }
        catch (JsonException e) { throw Bad($"the header is not valid JSON ({e.Message.Split('\n')[0]})"); }
        long dataStart = 8 + (long)headerLen;
        long dataLength = bytes.Length - dataStart;

        var entries = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject meta) throw Bad("__metadata__ is not a JSON object of strings");
                foreach (var (k, v) in meta)
                    metadata[k] = v is JsonValue jv && jv.TryGetValue<string>(out var str) ? str : throw Bad($"__metadata__['{k}'] is not a string");
                continue;
            }
            if (node is not JsonObject entry) throw Bad($"entry '{name}' is {Kind(node)}, not an object {{dtype, shape, data_offsets}}");
            string dtype = entry["dtype"] is JsonValue d && d.TryGetValue<string>(out var ds) ? ds : throw Bad($"tensor '{name}' has no dtype string");
            var (type, size) = ToScalarType(dtype, name, source);
            var shape = Integers(entry["shape"], name, "shape", Bad);
            var offsets = Integers(entry["data_offsets"], name, "data_offsets", Bad);
            if (offsets.Length != 2) throw Bad($"tensor '{name}' has {offsets.Length} data_offsets, 2 expected [begin, end]");
            if (shape.Any(x => x < 0)) throw Bad($"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
            if (offsets[0] < 0 || offsets[1] < 0) throw Bad($"tensor '{name}' has negative data_offsets [{offsets[0]}, {offsets[1]}]");
            if (offsets[0] > offsets[1]) throw Bad($"tensor '{name}' has data_offsets [{offsets[0]}, {offsets[1]}] with begin after end");
            long count = 1;
            foreach (var dim in shape)
                if (dim != 0 && count > long.MaxValue / dim / size) throw Bad($"tensor '{name}' shape [{string.Join(", ", shape)}] has an element count that overflows");
                else count *= dim;
            if (count * size != offsets[1] - offsets[0])
                throw Bad($"tensor '{name}' has {offsets[1] - offsets[0]} bytes, its dtype {dtype} and shape [{string.Join(", ", shape)}] need {count * size}");
            entries.Add((name, type, shape, offsets[0], offsets[1]));
        }
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != expected)
                throw Bad(e.Begin < expected ? $"tensor '{e.Name}' overlaps the previous tensor (data_offsets begin {e.Begin} < {expected})"
                                             : $"gap in the data before tensor '{e.Name}' (data_offsets begin {e.Begin}, previous end {expected})");
            expected = e.End;
        }
        if (expected != dataLength)
            throw Bad(expected > dataLength ? $"tensors need {expected} data bytes, the file has {dataLength} (truncated?)"
                                            : $"{dataLength - expected} bytes after the last tensor are not described by the header");

        var tensors = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        foreach (var (name, type, shape, begin, end) in entries)
        {
            var t = torch.empty(shape, type);
            if (end > begin)
                new ReadOnlySpan<byte>(bytes, checked((int)(dataStart + begin)), checked((int)(end - begin))).CopyTo(t.bytes);
            tensors[name] = t.MoveToOuterDisposeScope();
        }
        return new Contents(tensors, metadata);
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "a JSON array",
        JsonValue v => $"a JSON {v.GetValueKind().ToString().ToLowerInvariant()}",
        _ => "not an object",
    };

    private static long[] Integers(JsonNode? node, string name, string field, Func<string, SegmenterException> bad)
    {
        if (node is not JsonArray array) throw bad($"tensor '{name}' has no {field} list");
        var result = new long[array.Count];
        for (int i = 0; i < array.Count; i++)
            result[i] = array[i] is JsonValue v && v.TryGetValue<long>(out var x) ? x
                : throw bad($"tensor '{name}' {field}[{i}] is not a 64-bit integer ({array[i]?.ToJsonString() ?? "null"})");
        return result;
    }

    /// <summary>Writes tensors (any device; copied to CPU) atomically: temp file, flush, rename. Streams tensor by tensor.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    /// <summary>Writes the safetensors layout to a stream: header first, then each tensor's bytes in name order.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            long size = t.numel() * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = FromScalarType(t.dtype, name),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + size)),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var name in names)
        {
            using var cpu = tensors[name].detach().cpu().contiguous();
            if (cpu.numel() > 0) stream.Write(cpu.bytes);
        }
    }

    private static (ScalarType, int) ToScalarType(string dtype, string name, string source) => dtype switch
    {
        "F64" => (ScalarType.Float64, 8),
        "F32" => (ScalarType.Float32, 4),
        "F16" => (ScalarType.Float16, 2),
        "BF16" => (ScalarType.BFloat16, 2),
        "I64" => (ScalarType.Int64, 8),
        "I32" => (ScalarType.Int32, 4),
        "I16" => (ScalarType.Int16, 2),
        "I8" => (ScalarType.Int8, 1),
        "U8" => (ScalarType.Byte, 1),
        "BOOL" => (ScalarType.Bool, 1),
        _ => throw new SegmenterException($"invalid safetensors file: tensor '{name}' has unknown or unsupported dtype '{dtype}'", source,
            "convert it to F64/F32/F16/BF16/I64/I32/I16/I8/U8/BOOL"),
    };

    private static string FromScalarType(ScalarType t, string name) => t switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"tensor '{name}': dtype {t} cannot be written to safetensors"),
    };
}
