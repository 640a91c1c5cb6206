using System.Text;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.Hostile;
using static Segmenter.Tests.Hostile.CraftedWeights;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.IO;

/// <summary>
/// Issue 14, weight files: every reader says what a file is and what is accepted, validates safetensors headers as the
/// reference implementation does, refuses pickle globals outside PyTorch's weights_only allowlist by name, and bounds
/// zip members by what the tensors declare. All crafted files are built here, byte by byte.
/// </summary>
public class WeightFileTests
{
    private static string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(TestPaths.NewTempDir("weights"), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static SegmenterException OneLine(Action act, string path, params string[] fragments)
    {
        var e = Assert.Throws<SegmenterException>(act);
        Assert.Contains(path, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotNull(e.Fix);
        return e;
    }

    private static long Allocated(Action act)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        act();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Crafted_torch_zip_reads_back()
    {
        var path = Write("ok.pth", TorchZip(StateDictPickle(), new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        var sd = PthReader.LoadStateDict(path);
        Assert.Equal([2L, 3], sd["w"].shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], sd["w"].data<float>().ToArray());
        foreach (var t in sd.Values) t.Dispose();
    }

    [Theory]
    [InlineData("os", "system", false)]
    [InlineData("posix", "system", false)]
    [InlineData("builtins", "eval", true)]
    [InlineData("subprocess", "Popen", true)]
    public void Code_running_global_beside_real_tensors_is_refused_by_name(string module, string name, bool stackGlobal)
    {
        var pickle = StateDictPickle(p =>
        {
            p.Str("evil");
            if (stackGlobal) p.StackGlobal(module, name); else p.Global(module, name);
            p.Mark().Str("echo pwned").Tuple().Reduce();
        });
        var path = Write("evil.pth", TorchZip(pickle, new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        OneLine(() => PthReader.LoadStateDict(path), path, $"'{module}.{name}'", "weights_only");
        OneLine(() => PretrainedLoader.ReadTensors(path), path, $"'{module}.{name}'");
    }

    [Fact]
    public void Zip_member_claiming_4_GB_is_refused_without_allocating()
    {
        var zip = TorchZip(StateDictPickle(), new Dictionary<string, byte[]> { ["0"] = SixFloats() }, deflate: true);
        var path = Write("claims4g.pth", ClaimSize(zip, "archive/data/0", 0xFFFFFFF0u));
        long bytes = Allocated(() => OneLine(() => PthReader.LoadStateDict(path), path, "archive/data/0", "claims", "declare 24"));
        Assert.True(bytes < 16L << 20, $"allocated {bytes >> 20} MB");
    }

    [Fact]
    public void Zip_bomb_member_is_never_inflated_beyond_the_declared_tensors()
    {
        var bomb = new byte[128 << 20]; // 128 MB of zeros deflate to ~130 kB
        var honest = Write("bomb.pth", TorchZip(StateDictPickle(), new Dictionary<string, byte[]> { ["0"] = bomb }, deflate: true));
        Assert.True(new FileInfo(honest).Length < 1 << 20);
        long bytes = Allocated(() => OneLine(() => PthReader.LoadStateDict(honest), honest, "claims 134,217,728 bytes"));
        Assert.True(bytes < 16L << 20, $"allocated {bytes >> 20} MB");

        // The same bomb with its size field lowered to what the tensor declares: only 24 bytes are inflated.
        var lying = Write("bomb2.pth", ClaimSize(File.ReadAllBytes(honest), "archive/data/0", 24));
        bytes = Allocated(() => { try { foreach (var t in PthReader.LoadStateDict(lying).Values) t.Dispose(); } catch (SegmenterException) { } });
        Assert.True(bytes < 16L << 20, $"allocated {bytes >> 20} MB");
    }

    [Fact]
    public void Storage_declaring_a_huge_element_count_is_refused()
    {
        var path = Write("huge.pth", TorchZip(StateDictPickle(storageNumel: 1L << 40), new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        OneLine(() => PthReader.LoadStateDict(path), path, "declares");
    }

    [Fact]
    public void Tensor_record_past_its_storage_is_refused()
    {
        var pickle = new Pickle().Op('}').Mark().Str("w").FloatTensor("0", 6, [1L << 20, 1L << 20], [1L << 20, 1]).SetItems().Stop();
        var path = Write("past.pth", TorchZip(pickle, new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        OneLine(() => PthReader.LoadStateDict(path), path, "storage");
    }

    [Fact]
    public void Text_and_legacy_files_named_pth_are_named_for_what_they_are()
    {
        var text = Write("notes.pth", Encoding.UTF8.GetBytes("these are not weights\nat all\n"));
        OneLine(() => PretrainedLoader.ReadTensors(text), text, "it is a text file", "accepted");
        OneLine(() => PthReader.LoadStateDict(text), text, "it is a text file");
        OneLine(() => SafeTensors.Load(text), text, "it is a text file");

        // torch.save(_use_new_zipfile_serialization=False): protocol-2 pickle of the magic number first.
        var legacy = Write("old.pth", [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        OneLine(() => PretrainedLoader.ReadTensors(legacy), legacy, "legacy", "torch >= 1.6");
        OneLine(() => SafeTensors.Load(legacy), legacy, "legacy");

        var png = Write("image.safetensors", PngCodec.Encode(2, 2, 1, new byte[4]));
        OneLine(() => SafeTensors.Load(png), png, "it is a PNG image");
        Assert.Equal(WeightFileFormat.Kind.Zip, WeightFileFormat.Detect(Write("z.pth", TorchZip(StateDictPickle(), new Dictionary<string, byte[]> { ["0"] = SixFloats() }))));
    }

    public static TheoryData<string, string, int, string> BadSafeTensors => new()
    {
        { "[1, 2, 3]", "not json object", 0, "not a JSON object" },
        { "{\"w\": 5}", "entry not object", 0, "not an object" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", "negative offsets", 4, "negative data_offsets" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 16], \"data_offsets\": [0, 4]}}", "overflow", 4, "overflows" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "negative dim", 4, "negative dimension" },
        { "{\"w\": {\"dtype\": \"Q7\", \"shape\": [1], \"data_offsets\": [0, 4]}}", "dtype", 4, "unknown or unsupported dtype 'Q7'" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", "size mismatch", 4, "need 8" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"v\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", "overlap", 4, "overlaps" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", "gap", 8, "gap" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", "trailing", 12, "not described" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", "truncated", 4, "truncated" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", "float dim", 4, "not a 64-bit integer" },
        { "{\"__metadata__\": {\"a\": 3}}", "metadata", 0, "__metadata__" },
        { "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]", "bad json", 4, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadSafeTensors))]
    public void Bad_safetensors_headers_are_one_line_errors(string header, string name, int dataBytes, string fragment)
    {
        var path = Write(name.Replace(' ', '_') + ".safetensors", SafeTensorsRaw(header, new byte[dataBytes]));
        OneLine(() => SafeTensors.Load(path), path, "invalid safetensors file", fragment);
    }

    [Fact]
    public void Header_length_past_the_end_is_one_line_error()
    {
        var bytes = SafeTensorsRaw("{}", []);
        bytes[0] = 0xFF; bytes[5] = 0x7F; // claims an enormous header
        var path = Write("len.safetensors", bytes);
        var e = Assert.Throws<SegmenterException>(() => SafeTensors.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Valid_safetensors_still_round_trip()
    {
        var path = Write("ok.safetensors", SafeTensorsRaw(
            "{\"__metadata__\": {\"k\": \"v\"}, \"b\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [4, 12]}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"e\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [12, 12]}}",
            new byte[12]));
        var c = SafeTensors.Load(path);
        Assert.Equal("v", c.Metadata["k"]);
        Assert.Equal(3, c.Tensors.Count);
        foreach (var t in c.Tensors.Values) t.Dispose();
    }
}
