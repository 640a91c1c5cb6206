using Segmenter.Checkpoints;
using Segmenter.IO;
using static Segmenter.Tests.Hostile.CraftedWeights;
using static TorchSharp.torch;

namespace Segmenter.Tests.IO;

/// <summary>
/// The unpickler's second allowlist (issue 23), on pickles built byte by byte: data-only globals (numpy, mmengine,
/// mmcv) become inert placeholders whatever the pickle does with them (REDUCE, NEWOBJ, BUILD, SETITEMS); every other
/// global, code-running or unknown, is refused by name; a placeholder is never a tensor; self-referencing containers
/// do not crash the reader. Also the DataParallel `module.` prefix for safetensors.
/// </summary>
public class DataOnlyGlobalsTests
{
    private static string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(TestPaths.NewTempDir("dataonly"), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Pth(Action<Pickle> extra) => Write("x.pth", TorchZip(StateDictPickle(extra), new Dictionary<string, byte[]> { ["0"] = SixFloats() }));

    [Fact]
    public void Data_only_globals_called_instantiated_and_built_are_inert_placeholders()
    {
        var path = Pth(p =>
        {
            // "d": numpy.dtype('f8', False, True) then BUILD (3, '<'); "h": NEWOBJ HistoryBuffer() then BUILD {...}; "c": NEWOBJ ConfigDict + SETITEMS
            p.Str("d").Global("numpy", "dtype").Mark().Str("f8").False().Op((char)0x88).Tuple().Reduce().Mark().Int(3).Str("<").Tuple().Op('b');
            p.Str("h").Global("mmengine.logging.history_buffer", "HistoryBuffer").Op(')').Op((char)0x81).EmptyDict().Mark().Str("max_length").Int(10).SetItems().Op('b');
            p.Str("c").StackGlobal("mmengine.config.config", "ConfigDict").Op(')').Op((char)0x81).Mark().Str("type").Str("EncoderDecoder").SetItems();
            p.Int(1).Op('0').Mark().Int(2).Op('1'); // POP and POP_MARK leave nothing behind
            // "s": numpy.core.multiarray.scalar(dtype('i8'), b'\x07\0\0\0\0\0\0\0'), the bytes as protocol 2 writes them (_codecs.encode).
            p.Str("s").Global("numpy.core.multiarray", "scalar").Mark()
                .Global("numpy", "dtype").Mark().Str("i8").False().Op((char)0x88).Tuple().Reduce()
                .Global("_codecs", "encode").Mark().Str("\u0007\0\0\0\0\0\0\0").Str("latin1").Tuple().Reduce()
                .Tuple().Reduce();
        });
        var top = Assert.IsType<OrderedDictionary<object, object?>>(PthReader.Load(path));
        var d = Assert.IsType<PthReader.PickleObject>(top["d"]);
        Assert.Equal("numpy.dtype", d.Type.ToString());
        Assert.Equal(new object?[] { 3L, "<" }, d.State);
        var h = Assert.IsType<PthReader.PickleObject>(top["h"]);
        Assert.Equal(10L, Assert.IsType<OrderedDictionary<object, object?>>(h.State)["max_length"]);
        Assert.Equal("EncoderDecoder", Assert.IsType<PthReader.PickleObject>(top["c"]).Items!["type"]);
        Assert.Equal(7L, PickledNumpy.Decode(top["s"]));
        ((Tensor)top["w"]!).Dispose();
    }

    [Theory]
    [InlineData("builtins", "exec")]
    [InlineData("builtins", "getattr")]
    [InlineData("builtins", "__import__")]
    [InlineData("builtins", "compile")]
    [InlineData("builtins", "open")]
    [InlineData("nt", "system")]
    [InlineData("subprocess", "check_output")]
    [InlineData("functools", "partial")]
    [InlineData("importlib", "import_module")]
    [InlineData("sys", "modules")]
    [InlineData("pickle", "loads")]
    [InlineData("runpy", "_run_code")]
    [InlineData("webbrowser", "open")]
    [InlineData("numpy", "load")]                                   // a numpy global that is not plain data
    [InlineData("numpy.testing._private.utils", "runstring")]       // exec()s its argument
    [InlineData("mmengine.runner", "Runner")]                       // unknown class of a known package
    [InlineData("numpy.core.multiarray", "scalar_x")]
    public void Every_other_global_is_refused_by_name(string module, string name)
    {
        var path = Pth(p => { p.Str("meta").Global(module, name).Mark().Str("echo pwned").Tuple().Reduce(); });
        var e = Assert.Throws<SegmenterException>(() => PthReader.LoadStateDict(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"'{module}.{name}'", e.Message);
        Assert.Contains("weights_only", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Python_2_builtin_names_of_protocol_2_are_read_as_builtins()
    {
        // torch.save's default protocol 2 writes builtins.eval as __builtin__.eval (fix_imports): refused under its Python 3 name.
        var path = Pth(p => { p.Str("meta").Global("__builtin__", "eval").Mark().Str("1").Tuple().Reduce(); });
        Assert.Contains("'builtins.eval'", Assert.Throws<SegmenterException>(() => PthReader.LoadStateDict(path)).Message);
        // ... and __builtin__.set is the allowed builtins.set.
        var ok = Pth(p => { p.Str("s").Global("__builtin__", "set").Mark().Op(']').Tuple().Reduce(); });
        foreach (var t in PthReader.LoadStateDict(ok).Values) t.Dispose();
    }

    [Fact]
    public void A_placeholder_is_never_a_tensor()
    {
        // As a state-dict value:
        var path = Pth(p => { p.Str("bias").Global("numpy.core.multiarray", "_reconstruct").Mark().Global("numpy", "ndarray").Tuple().Reduce(); });
        var e = Assert.Throws<SegmenterException>(() => WeightsReader.Read(path));
        Assert.Contains("'bias' is a numpy.core.multiarray._reconstruct", e.Message);
        Assert.Contains("not a tensor", e.Message);

        // As a tensor's storage type (the persistent id names numpy.dtype instead of torch.FloatStorage):
        var p2 = new Pickle().Op('}').Mark().Str("w");
        p2.Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("numpy", "dtype").Str("0").Str("cpu").Long(6).Tuple().Op('Q')
            .Long(0).Mark().Long(6).Tuple().Mark().Long(1).Tuple().False().Global("collections", "OrderedDict").Op(')').Reduce().Tuple().Reduce();
        var path2 = Write("storage.pth", TorchZip(p2.SetItems().Stop(), new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        Assert.Contains("unsupported storage type numpy.dtype", Assert.Throws<SegmenterException>(() => PthReader.LoadStateDict(path2)).Message);

        // As the storage of a tensor record:
        var p3 = new Pickle().Op('}').Mark().Str("w");
        p3.Global("torch._utils", "_rebuild_tensor_v2").Mark().Global("numpy", "ndarray").Op(')').Op((char)0x81)
            .Long(0).Mark().Long(6).Tuple().Mark().Long(1).Tuple().False().Global("collections", "OrderedDict").Op(')').Reduce().Tuple().Reduce();
        var path3 = Write("record.pth", TorchZip(p3.SetItems().Stop(), new Dictionary<string, byte[]>()));
        Assert.Contains("malformed tensor record", Assert.Throws<SegmenterException>(() => PthReader.LoadStateDict(path3)).Message);
    }

    [Fact]
    public void A_dict_holding_itself_reads_without_crashing()
    {
        // {"w": tensor, "self": <the dict>, "state_dict": <the dict>}: BINPUT 0 / BINGET 0 make the cycle.
        var p = new Pickle().Op('}').Op('q').Op('\0').Mark();
        p.Str("w").FloatTensor("0", 6, [2, 3], [3, 1]);
        p.Str("self").Op('h').Op('\0').Str("state_dict").Op('h').Op('\0').SetItems();
        var path = Write("cycle.pth", TorchZip(p.Stop(), new Dictionary<string, byte[]> { ["0"] = SixFloats() }));
        var sd = PthReader.LoadStateDict(path);
        Assert.Equal(["w"], sd.Keys);
        sd["w"].Dispose();
    }

    [Fact]
    public void Dataparallel_prefix_is_stripped_from_safetensors_and_a_clash_is_refused()
    {
        using var a = arange(6, dtype: ScalarType.Float32);
        using var b = ones(2);
        var path = Write("dp.safetensors", SafeTensors.Serialize(new Dictionary<string, Tensor> { ["module.conv.weight"] = a, ["module.conv.bias"] = b }));
        using (var ckpt = WeightsReader.Read(path))
        {
            Assert.Equal(["conv.bias", "conv.weight"], ckpt.Model.Keys.Order(StringComparer.Ordinal));
            Assert.True(ckpt.Model["conv.weight"].eq(a).all().item<bool>());
        }
        var clash = Write("clash.safetensors", SafeTensors.Serialize(new Dictionary<string, Tensor> { ["module.conv.weight"] = a, ["conv.weight"] = a }));
        var e = Assert.Throws<SegmenterException>(() => WeightsReader.Read(clash));
        Assert.Contains("both 'conv.weight' and 'module.conv.weight'", e.Message);
    }
}
