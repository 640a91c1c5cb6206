using Segmenter.Tests.Models;
using Segmenter.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.IO;

/// <summary>Files under Data/ were written by torch 1.13 torch.save (see the generator notes in the test data README).</summary>
public class PthReaderTests
{
    private static string Data(string f) => Path.Combine(ModelTestUtil.DataDir, f);

    [Fact]
    public void ReadsTensorsOfEveryDtypeAndViews()
    {
        var sd = PthReader.LoadStateDict(Data("tiny_tensors.pth"));
        Assert.Equal(["a.weight", "a.bias", "bn.num_batches_tracked", "base", "view", "d", "h", "i32", "u8"], sd.Keys);
        Assert.Equal([2L, 3], sd["a.weight"].shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], sd["a.weight"].data<float>().ToArray());
        Assert.Equal([0.5f, -1.5f, 2.25f], sd["a.bias"].data<float>().ToArray());
        Assert.Equal(ScalarType.Int64, sd["bn.num_batches_tracked"].dtype);
        Assert.Empty(sd["bn.num_batches_tracked"].shape);
        Assert.Equal(7L, sd["bn.num_batches_tracked"].item<long>());
        // view = base[1:, ::2] of arange(12).reshape(3, 4): storage offset 4, strides (4, 2)
        Assert.Equal([2L, 2], sd["view"].shape);
        Assert.Equal([4f, 6, 8, 10], sd["view"].data<float>().ToArray());
        Assert.Equal(ScalarType.Float64, sd["d"].dtype);
        Assert.Equal([1.0, 2.0], sd["d"].data<double>().ToArray());
        Assert.Equal(ScalarType.Float16, sd["h"].dtype);
        Assert.Equal([1.5f, -2f], sd["h"].to_type(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal([3, -4], sd["i32"].data<int>().ToArray());
        Assert.Equal([(byte)0, (byte)255], sd["u8"].data<byte>().ToArray());
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void ReadsNestedCheckpointDictAndFindsTheStateDict()
    {
        var top = Assert.IsType<OrderedDictionary<object, object?>>(PthReader.Load(Data("tiny_checkpoint.pth")));
        var meta = Assert.IsType<OrderedDictionary<object, object?>>(top["meta"]);
        Assert.Equal(3L, meta["epoch"]);
        Assert.Equal("tiny", meta["name"]);
        Assert.Equal(0.01, meta["lr"]);
        Assert.Equal(true, meta["flag"]);
        Assert.Null(meta["none"]);
        Assert.Equal([1L, 2L], Assert.IsType<List<object?>>(meta["sizes"]));

        var sd = PthReader.LoadStateDict(Data("tiny_checkpoint.pth"));
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], sd.Keys);
        Assert.Equal([2f, 3f], sd["weight"].data<float>().ToArray());
        Assert.Equal([0.25f, -0.25f], sd["running_mean"].data<float>().ToArray());
    }

    [Fact]
    public void NonZipFileIsABadInputError()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "legacy.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
        var e = Assert.Throws<SegmenterException>(() => PthReader.Load(path));
        Assert.Contains("legacy.pth", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void TruncatedArchiveIsABadInputError()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "cut.pth");
        var bytes = File.ReadAllBytes(Data("tiny_tensors.pth"));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Throws<SegmenterException>(() => PthReader.Load(path));
        Directory.Delete(dir, true);
    }
}
