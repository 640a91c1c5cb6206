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
        return Parse(bytes, path);
    }

    public static Contents Parse(byte[] bytes, string source = "<memory>")
    {
        if (bytes.Length < 8)
            throw new SegmenterException("not a safetensors file (too short)", source, "re-export or re-download the file");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > (ulong)(bytes.Length - 8))
            throw new SegmenterException("not a safetensors file (header length beyond end of file; truncated?)", source, "re-export or re-download the file");
        JsonObject header;
        try { header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen))!.AsObject(); }
        catch (JsonException e) { throw new SegmenterException($"not a safetensors file (bad header JSON: {e.Message})", source, "re-export the file", e); }
        long dataStart = 8 + (long)headerLen;

        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        using var scope = NewDisposeScope();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var entry = node!.AsObject();
            string dtype = entry["dtype"]!.GetValue<string>();
            long[] shape = entry["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offsets = entry["data_offsets"]!.AsArray();
            long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
            if (dataStart + end > bytes.Length || begin > end)
                throw new SegmenterException($"tensor '{name}' lies beyond the end of the file (truncated?)", source, "re-export or re-download the file");
            var (type, size) = ToScalarType(dtype, name, source);
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (count * size != end - begin)
                throw new SegmenterException($"tensor '{name}' has {end - begin} bytes, its shape needs {count * size}", source, "re-export the file");
            var t = torch.empty(shape, type);
            if (count > 0)
            {
                var span = new ReadOnlySpan<byte>(bytes, (int)(dataStart + begin), (int)(end - begin));
                span.CopyTo(t.bytes);
            }
            tensors[name] = t.MoveToOuterDisposeScope();
        }
        return new Contents(tensors, metadata);
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
        _ => throw new SegmenterException($"tensor '{name}' has unsupported dtype {dtype}", source, "convert it to F32/F64/I64"),
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
