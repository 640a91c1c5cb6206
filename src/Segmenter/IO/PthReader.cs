using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.IO;

/// <summary>
/// Reads PyTorch's zip checkpoint format (torch.save since 1.6: `&lt;name&gt;/data.pkl` + raw storages under
/// `&lt;name&gt;/data/&lt;key&gt;`) without Python. A small unpickler understands the opcodes torch.save emits and
/// rebuilds tensors from their storages; it never runs code, and like torch.load(weights_only=True) it refuses any
/// global outside its allowlists by name: <see cref="AllowedGlobals"/> (what a state dict needs) and
/// <see cref="DataOnlyGlobals"/> (plain data that training checkpoints carry beside the weights, kept as inert
/// <see cref="PickleObject"/>s). Storage members are read straight into their tensors, bounded by the sizes the pickle
/// declares. Tensors come back on the CPU, contiguous, owned by the caller.
/// </summary>
public static class PthReader
{
    /// <summary>A Python global (module, name) seen in the pickle, e.g. ("collections", "OrderedDict").</summary>
    public sealed record PickleGlobal(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>
    /// An object the reader does not rebuild (an allowed global called, a data-only class instantiated): an inert
    /// placeholder that records the global, the arguments and the state the pickle gave it, and nothing is ever called.
    /// Calling or instantiating a placeholder builds another placeholder; one is never a tensor.
    /// </summary>
    public sealed class PickleObject(PickleGlobal type, object? args)
    {
        public PickleGlobal Type { get; } = type;
        public object? Args { get; } = args;
        /// <summary>What BUILD gave it (a class's __dict__ or __setstate__ argument).</summary>
        public object? State { get; set; }
        /// <summary>Items SETITEM(S) added (dict subclasses such as ConfigDict); null when none.</summary>
        public OrderedDictionary<object, object?>? Items { get; set; }
        /// <summary>Items APPEND(S) added (list subclasses); null when none.</summary>
        public List<object?>? ListItems { get; set; }
    }

    /// <summary>
    /// Loads the whole pickled object as plain .NET values: OrderedDictionary&lt;object, object?&gt; (dict),
    /// List&lt;object?&gt; (list), object?[] (tuple), string, long, BigInteger (huge ints), double, bool, null,
    /// byte[] and Tensor.
    /// </summary>
    public static object? Load(string path)
    {
        if (!File.Exists(path)) throw new SegmenterException("file not found", path, "check the path");
        var kind = WeightFileFormat.Detect(path);
        if (kind != WeightFileFormat.Kind.Zip) throw WeightFileFormat.NotAccepted(path, kind);
        try
        {
            using var fs = File.OpenRead(path);
            using var zip = new ZipArchive(fs, ZipArchiveMode.Read);
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw WeightFileFormat.NotAccepted(path, WeightFileFormat.Kind.Zip);
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var byteOrder = zip.GetEntry(prefix + "byteorder");
            if (byteOrder is not null && ReadAll(byteOrder, 16, path).AsSpan().SequenceEqual("big"u8))
                throw new SegmenterException("checkpoint was written on a big-endian machine", path, "re-save it on a little-endian machine");
            var storages = new Dictionary<string, Tensor>();
            try
            {
                var unpickler = new Unpickler(ReadAll(pkl, MaxPickleBytes, path), path, (key, dtype, numel) =>
                {
                    if (storages.TryGetValue(key, out var s)) return s;
                    var entry = zip.GetEntry(prefix + "data/" + key)
                        ?? throw new SegmenterException($"storage '{key}' is missing from the archive (truncated?)", path, "re-save or re-download the file");
                    var t = ReadStorage(entry, key, dtype, numel, path);
                    storages[key] = t;
                    return t;
                });
                return unpickler.Run();
            }
            finally
            {
                foreach (var s in storages.Values) s.Dispose();
            }
        }
        catch (InvalidDataException e)
        {
            throw new SegmenterException($"corrupt zip archive: {e.Message}", path, "re-save or re-download the file", e);
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException or OverflowException or IndexOutOfRangeException
                                      or KeyNotFoundException or NullReferenceException)
        {
            // A malformed pickle (wrong types on the stack, bad lengths) is bad input, not a bug of the reader.
            throw new SegmenterException($"malformed data.pkl ({e.GetType().Name}: {e.Message.Split('\n')[0]})", path,
                "re-save or re-download the file; accepted: " + WeightFileFormat.Accepted, e);
        }
        catch (IOException e)
        {
            throw new SegmenterException($"cannot read: {e.Message}", path, "check the file and its permissions", e);
        }
    }

    /// <summary>
    /// Loads a state dict: the top-level dict if it holds tensors, else the one under "state_dict", "model",
    /// "module" or "net" (mmseg / detectron2 / torchvision training checkpoints). Non-tensor entries are skipped.
    /// </summary>
    public static Dictionary<string, Tensor> LoadStateDict(string path) => LoadStateDict(path, null);

    /// <summary>
    /// <see cref="LoadStateDict(string)"/>, handing the whole unpickled object to <paramref name="inspect"/> first (e.g.
    /// to read a checkpoint's <c>meta</c>), while every tensor in it is still alive; tensors outside the state dict are
    /// disposed afterwards. A placeholder of a <see cref="DataOnlyGlobals"/> global (e.g. a numpy array) where the state
    /// dict has a tensor is refused, naming the key; other non-tensor entries (e.g. a version number) are skipped, as
    /// <see cref="LoadStateDict(string)"/> skips them.
    /// </summary>
    internal static Dictionary<string, Tensor> LoadStateDict(string path, Action<object?>? inspect)
    {
        var top = Load(path);
        var keep = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        try
        {
            var dict = FindStateDict(top)
                ?? throw new SegmenterException("no state dict (a dict of tensors) found in the checkpoint", path,
                    "save model.state_dict(), or a dict holding it under 'state_dict' or 'model'");
            var result = new Dictionary<string, Tensor>();
            foreach (var (k, v) in dict)
            {
                if (k is string key && v is PickleObject o && DataOnlyGlobals.Contains(o.Type.ToString()))
                    throw new SegmenterException($"state dict entry '{key}' is a {o.Type} (kept as an inert placeholder), not a tensor", path,
                        "save tensors in the state dict (torch.from_numpy(array) before torch.save), or export the weights to safetensors");
                if (k is string name && v is Tensor t) result[name] = t;
            }
            inspect?.Invoke(top);
            keep.UnionWith(result.Values);
            return result;
        }
        finally
        {
            DisposeOthers(top, keep);
        }
    }

    private static OrderedDictionary<object, object?>? FindStateDict(object? top, int depth = 0)
    {
        // depth bounds the search: the memo lets a pickle build a dict that holds itself under "state_dict".
        if (top is not OrderedDictionary<object, object?> d || depth > 4) return null;
        if (d.Values.Any(v => v is Tensor)) return d;
        foreach (var key in new[] { "state_dict", "model", "module", "net" })
            if (d.TryGetValue(key, out var inner) && FindStateDict(inner, depth + 1) is { } found) return found;
        return null;
    }

    /// <summary>
    /// Disposes every tensor reachable from <paramref name="root"/> except <paramref name="keep"/>. Iterative, each
    /// container visited once: the memo lets a pickle nest containers a million deep or make them hold themselves.
    /// </summary>
    private static void DisposeOthers(object? root, HashSet<Tensor> keep)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is null || node is string || !seen.Add(node)) continue;
            switch (node)
            {
                case Tensor t when !keep.Contains(t): t.Dispose(); break;
                case OrderedDictionary<object, object?> d: foreach (var v in d.Values) pending.Push(v); break;
                case List<object?> l: foreach (var v in l) pending.Push(v); break;
                case object?[] a: foreach (var v in a) pending.Push(v); break;
                case PickleObject o: pending.Push(o.Args); pending.Push(o.State); pending.Push(o.Items); pending.Push(o.ListItems); break;
            }
        }
    }

    /// <summary>Most elements one tensor record may declare (2^31: the storages themselves are capped below 2^31 bytes).</summary>
    public const long MaxViewElements = 1L << 31;

    /// <summary>The largest data.pkl read: a state dict's pickle is kilobytes to a few MB (the tensor data lives in data/).</summary>
    public const int MaxPickleBytes = 64 << 20;

    /// <summary>
    /// Reads a small member (data.pkl, byteorder) through a bounded copy: neither the size the zip directory claims
    /// nor what the deflate stream expands to can make it allocate more than <paramref name="limit"/> bytes.
    /// </summary>
    private static byte[] ReadAll(ZipArchiveEntry entry, int limit, string path)
    {
        if (entry.Length > limit)
            throw new SegmenterException($"zip member {entry.FullName} claims {entry.Length:N0} bytes, more than the {limit:N0} a state dict's pickle needs",
                path, "re-save the checkpoint with torch.save(model.state_dict(), f)");
        using var s = entry.Open();
        var buffer = new byte[entry.Length];
        int got = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (got < buffer.Length || s.ReadByte() >= 0)
            throw new SegmenterException($"zip member {entry.FullName} does not decompress to the {entry.Length:N0} bytes its header claims", path,
                "re-save or re-download the file");
        return buffer;
    }

    /// <summary>
    /// Reads one storage straight into its tensor. The element count comes from the pickle's persistent id (what the
    /// tensors declare); the zip member must hold exactly that many bytes, and at most that many are inflated, so a
    /// member claiming 4 GB or a deflate bomb allocates nothing beyond the declared tensors.
    /// </summary>
    private static Tensor ReadStorage(ZipArchiveEntry entry, string key, ScalarType dtype, long numel, string path)
    {
        int elem = ElementSize(dtype);
        if (numel < 0 || numel > int.MaxValue / elem)
            throw new SegmenterException($"storage '{key}' declares {numel:N0} elements of {dtype}; 0 .. {int.MaxValue / elem:N0} are readable",
                path, "re-save the checkpoint; accepted: " + WeightFileFormat.Accepted);
        long bytes = numel * elem;
        if (entry.Length != bytes)
            throw new SegmenterException($"zip member {entry.FullName} claims {entry.Length:N0} bytes, its tensors declare {bytes:N0} " +
                "(a damaged or crafted archive; refused rather than inflated)", path, "re-save or re-download the file");
        var t = torch.empty(numel, dtype);
        try
        {
            if (bytes > 0)
            {
                using var s = entry.Open();
                int got = s.ReadAtLeast(t.bytes, (int)bytes, throwOnEndOfStream: false);
                if (got < bytes)
                    throw new SegmenterException($"zip member {entry.FullName} holds {got:N0} bytes, its tensors declare {bytes:N0} (truncated?)", path,
                        "re-save or re-download the file");
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The globals a state-dict pickle may name: PyTorch's weights_only unpickler allowlist
    /// (torch/_weights_only_unpickler.py _get_allowed_globals) minus what a state dict never holds. Anything else,
    /// e.g. os.system, posix.system or builtins.eval, is refused by name before it could be called.
    /// </summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "builtins.dict", "collections.Counter", "builtins.set", "builtins.frozenset", "builtins.bytearray",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "torch.nn.parameter.Parameter", "torch.Size", "torch.device",
        "torch.Tensor", "_codecs.encode",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
        "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    };

    /// <summary>
    /// Globals of plain data that training checkpoints carry beside the weights (MMSegmentation 0.x / mmcv and 1.x /
    /// mmengine `meta`, `message_hub`, `optimizer`): numpy scalars, dtypes and arrays (numpy 1 `numpy.core.*` and numpy 2
    /// `numpy._core.*` spellings; `_frombuffer` is how numpy pickles arrays at protocol 5), mmengine's HistoryBuffer,
    /// mmcv's and mmengine's Config / ConfigDict and their base addict.Dict, and torch's dtypes. The pickle may name,
    /// call (REDUCE), instantiate (NEWOBJ) and fill (BUILD, SETITEMS, APPENDS) them; each time the reader builds an inert
    /// <see cref="PickleObject"/> and calls nothing, so a placeholder never becomes a tensor or runs code. Like
    /// <see cref="AllowedGlobals"/> this is an allowlist: any other global (os.system, builtins.eval, functools.partial,
    /// an unknown class) is refused by name, wherever in the file it appears.
    /// </summary>
    public static readonly IReadOnlySet<string> DataOnlyGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
        "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
        "numpy.ndarray", "numpy.dtype",
        "mmengine.logging.history_buffer.HistoryBuffer",
        "mmengine.config.config.ConfigDict", "mmengine.config.config.Config",
        "mmcv.utils.config.ConfigDict", "mmcv.utils.config.Config", "addict.addict.Dict",
        "torch.float32", "torch.float64", "torch.float16", "torch.bfloat16", "torch.int64", "torch.int32", "torch.int16",
        "torch.int8", "torch.uint8", "torch.bool",
    };

    private static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    internal static ScalarType? StorageType(string name) => name switch
    {
        "FloatStorage" => ScalarType.Float32,
        "DoubleStorage" => ScalarType.Float64,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        _ => null,
    };

    /// <summary>A storage reference from a persistent id: dtype plus the shared flat tensor of the archive entry.</summary>
    private sealed record StorageRef(Tensor Flat);

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private sealed class Unpickler(byte[] data, string source, Func<string, ScalarType, long, Tensor> loadStorage)
    {
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];
        private int _pos;
        private int _protocol;

        public object? Run()
        {
            while (true)
            {
                int at = _pos;
                byte op = ReadByte();
                switch (op)
                {
                    case 0x80: _protocol = ReadByte(); break;                            // PROTO
                    case 0x95: _pos += 8; break;                                         // FRAME
                    case (byte)'.': return Pop();                                        // STOP
                    case (byte)'(': _stack.Add(Mark.Instance); break;                    // MARK
                    case (byte)'}': _stack.Add(new OrderedDictionary<object, object?>()); break;
                    case (byte)']': _stack.Add(new List<object?>()); break;
                    case (byte)')': _stack.Add(Array.Empty<object?>()); break;
                    case 0x8f: _stack.Add(new List<object?>()); break;                   // EMPTY_SET (as a list)
                    case (byte)'N': _stack.Add(null); break;
                    case 0x88: _stack.Add(true); break;
                    case 0x89: _stack.Add(false); break;
                    case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case (byte)'K': _stack.Add((long)ReadByte()); break;
                    case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case 0x8a: _stack.Add(ReadLong(ReadByte())); break;                   // LONG1
                    case 0x8b: _stack.Add(ReadLong(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break; // LONG4
                    case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'X': _stack.Add(Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break;
                    case 0x8c: _stack.Add(Encoding.UTF8.GetString(Take(ReadByte()))); break;  // SHORT_BINUNICODE
                    case 0x8d: _stack.Add(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadInt64LittleEndian(Take(8)))))); break;
                    case (byte)'T': _stack.Add(Encoding.Latin1.GetString(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break;
                    case (byte)'U': _stack.Add(Encoding.Latin1.GetString(Take(ReadByte()))); break;
                    case (byte)'B': _stack.Add(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4))).ToArray()); break;
                    case (byte)'C': _stack.Add(Take(ReadByte()).ToArray()); break;
                    case 0x8e: case 0x96: _stack.Add(Take(checked((int)BinaryPrimitives.ReadInt64LittleEndian(Take(8)))).ToArray()); break; // BINBYTES8, BYTEARRAY8
                    case 0x97: case 0x98:                                                // NEXT_BUFFER, READONLY_BUFFER
                        throw new SegmenterException($"data.pkl refers to an out-of-band buffer (pickle protocol 5, byte {at}), which torch.save never writes", source,
                            "re-save the checkpoint with torch.save");
                    case (byte)'0': Pop(); break;                                        // POP
                    case (byte)'1': PopMark(); break;                                    // POP_MARK
                    case (byte)'2': _stack.Add(Peek()); break;                           // DUP
                    case 0x91: _stack.Add(PopMark()); break;                             // FROZENSET (as a list)
                    case (byte)'q': _memo[ReadByte()] = Peek(); break;                   // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                    case 0x94: _memo[_memo.Count] = Peek(); break;                       // MEMOIZE
                    case (byte)'h': _stack.Add(Memo(ReadByte(), at)); break;             // BINGET
                    case (byte)'j': _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)); break;
                    case (byte)'c': _stack.Add(Allowed(new PickleGlobal(ReadLine(), ReadLine()), at)); break;
                    case 0x93:
                        {
                            if (Pop() is not string name || Pop() is not string module) throw Bad("STACK_GLOBAL of non-strings", at);
                            _stack.Add(Allowed(new PickleGlobal(module, name), at));
                            break;
                        }
                    case (byte)'t': _stack.Add(PopMark().ToArray()); break;
                    case 0x85: _stack.Add(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b, c }); break; }
                    case (byte)'a': { var v = Pop(); AsList(Peek(), at).Add(v); break; }
                    case (byte)'e': case 0x90: { var items = PopMark(); AsList(Peek(), at).AddRange(items); break; }
                    case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek(), at)[k!] = v; break; }
                    case (byte)'u':
                        {
                            var items = PopMark();
                            var d = AsDict(Peek(), at);
                            for (int i = 0; i + 1 < items.Count; i += 2) d[items[i]!] = items[i + 1];
                            break;
                        }
                    case (byte)'Q': _stack.Add(PersistentLoad(Pop(), at)); break;
                    case (byte)'R': { var args = Pop(); var fn = Pop(); _stack.Add(Reduce(fn, args, at)); break; }
                    case 0x81: { var args = Pop(); var cls = Pop(); _stack.Add(new PickleObject(AsGlobal(cls, at), args)); break; } // NEWOBJ
                    case 0x92: { Pop(); var args = Pop(); var cls = Pop(); _stack.Add(new PickleObject(AsGlobal(cls, at), args)); break; } // NEWOBJ_EX (kwargs dropped)
                    case (byte)'b':
                        {
                            var state = Pop();
                            if (Peek() is PickleObject o) o.State = state; // dict/OrderedDict state (_metadata) is dropped
                            break;
                        }
                    default:
                        throw new SegmenterException($"unsupported pickle opcode 0x{op:x2} at byte {at} of data.pkl", source,
                            "re-save the checkpoint with torch.save(model.state_dict(), f), or convert it to safetensors");
                }
            }
        }

        /// <summary>Refuses any global outside <see cref="AllowedGlobals"/> and <see cref="DataOnlyGlobals"/> at the moment the pickle names it.</summary>
        private PickleGlobal Allowed(PickleGlobal g, int at)
        {
            // Below protocol 3 Python 3's pickler writes Python 2 names and its unpickler maps them back (fix_imports,
            // Lib/_compat_pickle.py IMPORT_MAPPING): torch.save's default protocol 2 writes builtins.set as __builtin__.set.
            if (_protocol < 3 && g.Module == "__builtin__") g = g with { Module = "builtins" };
            return AllowedGlobals.Contains(g.ToString()) || DataOnlyGlobals.Contains(g.ToString()) ? g : throw new SegmenterException(
                $"data.pkl names the Python global '{g}' (byte {at}), which is neither a state-dict global nor known plain data; refused, as " +
                "torch.load(weights_only=True) does (a pickle that names it can run code)", source,
                "load only files from sources you trust; re-save the weights as torch.save(model.state_dict(), f) or safetensors " +
                "(the accepted globals are listed in docs/bad_input.md, 'Weight files')");
        }

        private object? Reduce(object? fn, object? args, int at)
        {
            var g = AsGlobal(fn, at);
            var a = args as object?[] ?? [];
            switch (g.ToString())
            {
                case "collections.OrderedDict":
                case "builtins.dict":
                    return new OrderedDictionary<object, object?>();
                case "torch._utils._rebuild_tensor_v2":
                case "torch._utils._rebuild_tensor":
                    return RebuildTensor(a, at);
                case "torch._utils._rebuild_parameter":
                case "torch._utils._rebuild_parameter_with_state":
                    return a.Length > 0 ? a[0] : null;
                case "_codecs.encode":
                    return a.Length > 0 && a[0] is string s ? Encoding.Latin1.GetBytes(s) : null;
                case "torch.Size":
                    return a.Length > 0 ? a[0] : Array.Empty<object?>();
                default:
                    return new PickleObject(g, args);
            }
        }

        private Tensor RebuildTensor(object?[] a, int at)
        {
            if (a.Length < 4 || a[0] is not StorageRef storage || a[2] is not object?[] size || a[3] is not object?[] stride)
                throw Bad("malformed tensor record", at);
            long offset = ToLong(a[1], at);
            long[] shape = size.Select(x => ToLong(x, at)).ToArray();
            long[] strides = stride.Select(x => ToLong(x, at)).ToArray();
            if (shape.Length != strides.Length || shape.Any(x => x < 0) || strides.Any(x => x < 0) || offset < 0)
                throw Bad($"malformed tensor record (size [{string.Join(", ", shape)}], stride [{string.Join(", ", strides)}], offset {offset})", at);
            long numel = 1, last = offset;
            long available = storage.Flat.shape[0];
            foreach (var (dim, st) in shape.Zip(strides))
            {
                // Strided dims are bounded by the storage (itself < 2^31 bytes); stride-0 (expanded) dims by MaxViewElements,
                // so no product overflows and no record can make torch.empty allocate beyond those bounds.
                if (dim == 0) { numel = 0; break; }
                if (st > 0 && (dim - 1) > (available - 1 - last) / st)
                    throw Bad("tensor runs past the end of its storage (truncated or crafted file)", at);
                if (numel > MaxViewElements / dim)
                    throw Bad($"tensor of size [{string.Join(", ", shape)}] declares more than {MaxViewElements:N0} elements", at);
                numel *= dim;
                last += (dim - 1) * st;
            }
            if (numel > available && !strides.Contains(0))
                throw Bad("tensor declares more elements than its storage holds", at);
            if (numel == 0) return torch.empty(shape, storage.Flat.dtype);
            if (last >= available)
                throw Bad("tensor runs past the end of its storage (truncated?)", at);
            var result = torch.empty(shape, storage.Flat.dtype);
            using var view = storage.Flat.as_strided(shape, strides, offset);
            result.copy_(view);
            return result;
        }

        private StorageRef PersistentLoad(object? pid, int at)
        {
            if (pid is not object?[] { Length: >= 5 } t || t[0] is not "storage")
                throw Bad("unknown persistent id (not a tensor storage)", at);
            var type = AsGlobal(t[1], at);
            var dtype = (type.Module == "torch" ? StorageType(type.Name) : null) ?? throw new SegmenterException(
                $"unsupported storage type {type}", source, "convert the tensors to float32/float64/int64 before saving");
            var key = t[2] as string ?? throw Bad("storage key is not a string", at);
            return new StorageRef(loadStorage(key, dtype, ToLong(t[4], at)));
        }

        private SegmenterException Bad(string what, int at) =>
            new($"{what} at byte {at} of data.pkl", source, "re-save or re-download the checkpoint");

        private long ToLong(object? v, int at) => v switch
        {
            long l => l,
            BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
            bool b => b ? 1 : 0,
            _ => throw Bad("expected an integer", at),
        };

        private PickleGlobal AsGlobal(object? v, int at) => v as PickleGlobal ?? throw Bad("call of a non-global", at);

        private List<object?> AsList(object? v, int at) =>
            v as List<object?> ?? (v is PickleObject o ? o.ListItems ??= [] : throw Bad("append to a non-list", at));

        private OrderedDictionary<object, object?> AsDict(object? v, int at) =>
            v as OrderedDictionary<object, object?> ?? (v is PickleObject o ? o.Items ??= new() : throw Bad("setitem on a non-dict", at));

        private object? Memo(long key, int at) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"memo key {key} not defined", at);

        private object ReadLong(int n)
        {
            var bytes = Take(n);
            if (n == 0) return 0L;
            var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
            return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
        }

        private byte ReadByte() => _pos < data.Length ? data[_pos++] : throw Truncated();

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || _pos + (long)n > data.Length) throw Truncated();
            var span = data.AsSpan(_pos, n);
            _pos += n;
            return span;
        }

        private string ReadLine()
        {
            int end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0) throw Truncated();
            var s = Encoding.ASCII.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }

        private SegmenterException Truncated() => new("data.pkl ends early (truncated checkpoint)", source, "re-save or re-download the file");

        private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new SegmenterException("pickle stack underflow", source, "re-save the checkpoint");

        private object? Pop()
        {
            var v = Peek();
            _stack.RemoveAt(_stack.Count - 1);
            return v;
        }

        private List<object?> PopMark()
        {
            int i = _stack.FindLastIndex(x => ReferenceEquals(x, Mark.Instance));
            if (i < 0) throw new SegmenterException("pickle MARK missing", source, "re-save the checkpoint");
            var items = _stack.GetRange(i + 1, _stack.Count - i - 1);
            _stack.RemoveRange(i, _stack.Count - i);
            return items;
        }
    }
}
