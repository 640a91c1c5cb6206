using Segmenter.Checkpoints;
using Segmenter.IO;
using static TorchSharp.torch;

namespace Segmenter.Tests.Checkpoints;

/// <summary>
/// Issue 23, "read the checkpoints people actually have": MMSegmentation 0.x / 1.x training checkpoints (meta with numpy
/// scalars and arrays, optimizer, mmengine message_hub with HistoryBuffer objects), torchvision and DataParallel state
/// dicts, at pickle protocols 2, 4 and 5 and with numpy 2 spellings, read through <see cref="WeightsReader"/> with the
/// source tensors bit for bit and the meta's class names and palette; code-running globals hidden in meta or message_hub
/// still refused by name. Files written by Debian's PyTorch (<see cref="ZooCheckpoints"/>).
/// </summary>
public sealed class ZooCheckpointTests
{
    private static ZooCheckpoints.Files Zoo => ZooCheckpoints.Get();

    [Theory]
    [InlineData("mmseg0x.pth")]                    // mmcv runner: meta.CLASSES, meta.PALETTE (numpy array), plain keys
    [InlineData("mmseg1x_dataparallel.pth")]       // mmengine runner: meta.dataset_meta, message_hub, module. keys
    public void Mmseg_training_checkpoint_reads_the_source_weights_and_its_meta(string name)
    {
        using var ckpt = WeightsReader.Read(Zoo[name]);
        ZooCheckpoints.AssertSameTensors(ckpt.Model);
        Assert.Equal(Zoo.Classes, ckpt.ClassNames);
        Assert.Equal(Zoo.Palette, ckpt.Palette);
        Assert.Empty(ckpt.Optimizer); // a weights-only checkpoint: the file's optimizer state is not carried
    }

    [Theory]
    [InlineData("mmseg1x_p4.pth")]
    [InlineData("mmseg1x_p5.pth")]                 // numpy arrays as _frombuffer(bytearray) at protocol 5
    [InlineData("mmseg0x_p5.pth")]
    [InlineData("mmseg0x_numpy2.pth")]             // numpy._core.multiarray.scalar / _reconstruct
    public void Pickle_protocols_and_numpy_2_spellings_read(string name)
    {
        using var ckpt = WeightsReader.Read(Zoo[name]);
        ZooCheckpoints.AssertSameTensors(ckpt.Model, Zoo.SubsetKeys);
        Assert.Equal(Zoo.Classes, ckpt.ClassNames);
        Assert.Equal(Zoo.Palette, ckpt.Palette);
    }

    [Theory]
    [InlineData("torchvision.pth")]
    [InlineData("dataparallel.pth")]
    public void Plain_and_dataparallel_state_dicts_read_the_source_weights(string name)
    {
        using var ckpt = WeightsReader.Read(Zoo[name]);
        ZooCheckpoints.AssertSameTensors(ckpt.Model);
        Assert.Null(ckpt.ClassNames);
        Assert.Null(ckpt.Palette);
    }

    [Fact]
    public void Meta_numpy_values_and_message_hub_stay_inert_placeholders_that_decode()
    {
        var top = Assert.IsType<OrderedDictionary<object, object?>>(PthReader.Load(Zoo["mmseg0x.pth"]));
        try
        {
            var meta = Assert.IsType<OrderedDictionary<object, object?>>(top["meta"]);
            var hook = Assert.IsType<OrderedDictionary<object, object?>>(meta["hook_msgs"]);
            var best = Assert.IsType<PthReader.PickleObject>(hook["best_score"]);
            Assert.Equal("numpy.core.multiarray.scalar", best.Type.ToString());
            Assert.Equal(0.5, PickledNumpy.Decode(best));
            Assert.Equal(1234L, PickledNumpy.Decode(meta["seed"]));
            Assert.StartsWith("norm_cfg = dict(", Assert.IsType<string>(meta["config"]));
            var palette = Assert.IsType<List<object?>>(PickledNumpy.Decode(meta["PALETTE"]));
            Assert.Equal(Zoo.Palette.Count, palette.Count);
            Assert.Equal(new List<object?> { (long)Zoo.Palette[1].R, (long)Zoo.Palette[1].G, (long)Zoo.Palette[1].B }, palette[1]);
            // SGD's state: per-parameter momentum buffers (tensors) beside plain param_groups.
            var optimizer = Assert.IsType<OrderedDictionary<object, object?>>(top["optimizer"]);
            var state = Assert.IsType<OrderedDictionary<object, object?>>(optimizer["state"]);
            Assert.NotEmpty(state);
            Assert.All(state.Values, s => Assert.IsType<Tensor>(Assert.IsType<OrderedDictionary<object, object?>>(s)["momentum_buffer"], exactMatch: false));
        }
        finally
        {
            DisposeTensors(top);
        }

        top = Assert.IsType<OrderedDictionary<object, object?>>(PthReader.Load(Zoo["mmseg1x_dataparallel.pth"]));
        try
        {
            var hub = Assert.IsType<OrderedDictionary<object, object?>>(top["message_hub"]);
            var scalars = Assert.IsType<OrderedDictionary<object, object?>>(hub["log_scalars"]);
            var loss = Assert.IsType<PthReader.PickleObject>(scalars["train/loss"]);
            Assert.Equal("mmengine.logging.history_buffer.HistoryBuffer", loss.Type.ToString());
            var fields = Assert.IsType<OrderedDictionary<object, object?>>(loss.State);
            Assert.Equal(new List<object?> { 2.5, 2.25 }, PickledNumpy.Decode(fields["_log_history"]));
            Assert.Equal(new List<object?> { 1L, 1L }, PickledNumpy.Decode(fields["_count_history"]));
            var runtime = Assert.IsType<OrderedDictionary<object, object?>>(hub["runtime_info"]);
            Assert.Equal(20000L, PickledNumpy.Decode(runtime["max_iters"]));
            var cfgDict = Assert.IsType<PthReader.PickleObject>(runtime["cfg"]);
            Assert.Equal("mmengine.config.config.ConfigDict", cfgDict.Type.ToString());
            Assert.Equal("EncoderDecoder", cfgDict.Items!["type"]);
        }
        finally
        {
            DisposeTensors(top);
        }
    }

    [Theory]
    [InlineData("evil_os_system.pth", "posix.system")]        // os.system pickles as posix.system on Linux
    [InlineData("evil_eval.pth", "builtins.eval")]
    [InlineData("evil_partial.pth", "functools.partial")]
    [InlineData("evil_in_message_hub.pth", "posix.system")]   // inside a HistoryBuffer's state
    public void Code_running_global_inside_meta_or_message_hub_is_refused_by_name(string name, string global)
    {
        var path = Zoo[name];
        var e = Assert.Throws<SegmenterException>(() => WeightsReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"'{global}'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("docs/bad_input.md", e.Fix);
    }

    [Fact]
    public void Numpy_array_where_the_state_dict_has_a_tensor_is_refused_naming_the_key()
    {
        var path = Zoo["numpy_in_state_dict.pth"];
        var e = Assert.Throws<SegmenterException>(() => WeightsReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'decode_head.conv_seg.bias'", e.Message);
        Assert.Contains("numpy.core.multiarray._reconstruct", e.Message);
        Assert.Contains("not a tensor", e.Message);
    }

    private static void DisposeTensors(object? node)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([node]);
        while (pending.Count > 0)
        {
            var n = pending.Pop();
            if (n is null || !seen.Add(n)) continue;
            switch (n)
            {
                case Tensor t: t.Dispose(); break;
                case OrderedDictionary<object, object?> d: foreach (var v in d.Values) pending.Push(v); break;
                case List<object?> l: foreach (var v in l) pending.Push(v); break;
                case object?[] a: foreach (var v in a) pending.Push(v); break;
            }
        }
    }
}
