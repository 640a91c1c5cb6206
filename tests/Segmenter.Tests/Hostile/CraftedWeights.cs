using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Segmenter.Tests.Hostile;

/// <summary>
/// Writes torch.save-style zip files and safetensors files byte by byte, so tests can craft the hostile ones of
/// issue 14 (code-running globals, lying zip members, zip bombs, bad headers) without Python.
/// </summary>
public static class CraftedWeights
{
    /// <summary>A protocol-2 pickle, built opcode by opcode.</summary>
    public sealed class Pickle
    {
        private readonly MemoryStream _s = new();
        public Pickle() { _s.WriteByte(0x80); _s.WriteByte(2); }
        public Pickle Op(char c) { _s.WriteByte((byte)c); return this; }
        public Pickle Global(string module, string name) { Op('c'); Raw(module + "\n" + name + "\n"); return this; }
        /// <summary>STACK_GLOBAL (protocol 4): module and name as strings on the stack.</summary>
        public Pickle StackGlobal(string module, string name) { Str(module); Str(name); _s.WriteByte(0x93); return this; }
        public Pickle Str(string v) { var b = Encoding.UTF8.GetBytes(v); Op('X'); Int32(b.Length); _s.Write(b); return this; }
        public Pickle Int(int v) { Op('J'); Int32(v); return this; }
        /// <summary>LONG1 of 8 bytes: integers beyond 32 bits.</summary>
        public Pickle Long(long v) { _s.WriteByte(0x8a); _s.WriteByte(8); var b = new byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); _s.Write(b); return this; }
        public Pickle Mark() => Op('(');
        public Pickle Tuple() => Op('t');
        public Pickle EmptyDict() => Op('}');
        public Pickle SetItems() => Op('u');
        public Pickle Reduce() => Op('R');
        public Pickle False() { _s.WriteByte(0x89); return this; }

        /// <summary>torch._utils._rebuild_tensor_v2((storage, FloatStorage, key, cpu, numel), offset, size, stride, False, OrderedDict()).</summary>
        public Pickle FloatTensor(string key, long storageNumel, long[] size, long[] stride, long offset = 0)
        {
            Global("torch._utils", "_rebuild_tensor_v2");
            Mark();
            Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Long(storageNumel).Tuple().Op('Q');
            Long(offset);
            Mark(); foreach (var d in size) Long(d); Tuple();
            Mark(); foreach (var d in stride) Long(d); Tuple();
            False();
            Global("collections", "OrderedDict").Op(')').Reduce();
            Tuple().Reduce();
            return this;
        }

        public byte[] Stop() { Op('.'); return _s.ToArray(); }
        private void Raw(string ascii) => _s.Write(Encoding.ASCII.GetBytes(ascii));
        private void Int32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); _s.Write(b); }
    }

    /// <summary>The pickle of {"w": FloatTensor [2, 3] on storage "0"}; <paramref name="extra"/> adds items inside the dict's MARK.</summary>
    public static byte[] StateDictPickle(Action<Pickle>? extra = null, long storageNumel = 6)
    {
        var p = new Pickle().Op('}').Mark();
        p.Str("w").FloatTensor("0", storageNumel, [2, 3], [3, 1]);
        extra?.Invoke(p);
        p.SetItems();
        return p.Stop();
    }

    /// <summary>A torch.save-layout zip: archive/data.pkl, archive/data/&lt;key&gt; (stored unless deflate), archive/version.</summary>
    public static byte[] TorchZip(byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, bool deflate = false)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data, CompressionLevel level)
            {
                var e = zip.CreateEntry(name, level);
                using var s = e.Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle, CompressionLevel.NoCompression);
            foreach (var (k, v) in storages) Add("archive/data/" + k, v, deflate ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
            Add("archive/version", "3\n"u8.ToArray(), CompressionLevel.NoCompression);
        }
        return ms.ToArray();
    }

    /// <summary>Six float32 values 0..5, the storage of the [2, 3] tensor "w".</summary>
    public static byte[] SixFloats()
    {
        var b = new byte[24];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), i);
        return b;
    }

    /// <summary>Rewrites the uncompressed size recorded for <paramref name="member"/> in its local header and the central directory.</summary>
    public static byte[] ClaimSize(byte[] zip, string member, uint size)
    {
        var z = (byte[])zip.Clone();
        var name = Encoding.ASCII.GetBytes(member);
        for (int i = 0; i + 46 < z.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(z.AsSpan(i));
            if (sig == 0x04034b50 && z.AsSpan(i + 30, Math.Min(name.Length, z.Length - i - 30)).SequenceEqual(name)
                && BinaryPrimitives.ReadUInt16LittleEndian(z.AsSpan(i + 26)) == name.Length)
                BinaryPrimitives.WriteUInt32LittleEndian(z.AsSpan(i + 22), size);
            if (sig == 0x02014b50 && z.AsSpan(i + 46, Math.Min(name.Length, z.Length - i - 46)).SequenceEqual(name)
                && BinaryPrimitives.ReadUInt16LittleEndian(z.AsSpan(i + 28)) == name.Length)
                BinaryPrimitives.WriteUInt32LittleEndian(z.AsSpan(i + 24), size);
        }
        return z;
    }

    /// <summary>A safetensors file from a raw header string and a data section.</summary>
    public static byte[] SafeTensorsRaw(string headerJson, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var b = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        data.CopyTo(b, 8 + h.Length);
        return b;
    }
}
