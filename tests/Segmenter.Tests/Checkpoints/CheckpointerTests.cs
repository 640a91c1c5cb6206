using Segmenter.Tests.Training;
using Segmenter.Tests.Training.Optim;
using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.Checkpoints;

[Collection("cli")] // uses the process-global torch RNG: must not run beside other tests
public class CheckpointerTests
{
    private static void TrainSteps(TinyNet net, IOptimizer opt, int steps)
    {
        net.train();
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var x = torch.randn(2, 3, 8, 8);
            var y = torch.randint(0, 3, [2, 8, 8], dtype: ScalarType.Int64);
            opt.ZeroGrad();
            var loss = nn.functional.cross_entropy(net.forward(x), y);
            loss.backward();
            GradClipper.ClipGlobalNorm(net.parameters(), 5.0);
            opt.Step();
        }
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void ResumeFromFileContinuesBitIdentically()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        var cfg = new OptimizerConfig { Type = "sgd", Lr = 0.05, Momentum = 0.9, WeightDecay = 1e-3, HeadLrMult = 10, Lookahead = new LookaheadConfig { K = 3 } };
        torch.manual_seed(1);
        var netA = new TinyNet();
        var optA = OptimizerFactory.Create(cfg, netA);
        TrainSteps(netA, optA, 4);
        using (var ckpt = Checkpoint.Capture(4, netA, optA, "model:\n  num_classes: 3\n", "tiny", "{\"best_mIoU\":0.5}"))
            Checkpointer.Save(dir, 4, ckpt);
        TrainSteps(netA, optA, 4); // "straight" run: 8 iterations

        torch.manual_seed(99); // a different init and RNG position; the checkpoint must restore both
        var netB = new TinyNet();
        var optB = OptimizerFactory.Create(cfg, netB);
        var latest = Checkpointer.FindLatest(dir);
        Assert.Equal(Path.Combine(dir, "iter_00000004.ckpt"), latest);
        using (var loaded = Checkpointer.Load(latest!))
        {
            Assert.Equal(4, loaded.Iteration);
            Assert.Equal("tiny", loaded.Architecture);
            Assert.Equal("{\"best_mIoU\":0.5}", loaded.ExtraJson);
            Assert.Contains("num_classes: 3", loaded.ConfigYaml);
            Assert.Contains("backbone.bn1.num_batches_tracked", loaded.Model.Keys);
            Assert.Equal(4L, loaded.Model["backbone.bn1.num_batches_tracked"].item<long>());
            loaded.ApplyTo(netB, optB);
        }
        TrainSteps(netB, optB, 4);

        var a = Snapshot(netA);
        var b = Snapshot(netB);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.True(OptimizerTestKit.BitEqual(a[key], b[key]), $"{key} differs after resume");
        Assert.Equal(optA.StepCount, optB.StepCount);
    }

    private static Checkpoint Tiny(long iteration, int numClasses = 3, int width = 4) =>
        Checkpoint.Capture(iteration, new TinyNet(numClasses, width), null, architecture: $"tiny/num_classes={numClasses}");

    [Fact]
    public void KeepsTheLastKAndNeverTheBest()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        for (int it = 1; it <= 5; it++)
        {
            using var c = Tiny(it * 100);
            Checkpointer.Save(dir, it * 100, c, keepLast: 2);
            if (it == 1) Checkpointer.SaveBest(dir, c, "mIoU");
        }
        var names = Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["best_mIoU.ckpt", "iter_00000400.ckpt", "iter_00000500.ckpt"], names);
        using var best = Checkpointer.Load(Path.Combine(dir, "best_mIoU.ckpt"));
        Assert.Equal(100, best.Iteration);
    }

    [Fact]
    public void FindLatestScansNamesAndIgnoresTempFiles()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        Assert.Null(Checkpointer.FindLatest(dir));
        Assert.Null(Checkpointer.FindLatest(Path.Combine(dir, "missing")));
        using (var c = Tiny(3)) Checkpointer.Save(dir, 3, c);
        using (var c = Tiny(20)) Checkpointer.Save(dir, 20, c);
        File.WriteAllText(Path.Combine(dir, ".iter_00000900.ckpt.4242.tmp"), "half");
        File.WriteAllText(Path.Combine(dir, "iter_00000800.ckpt.tmp"), "half");
        File.WriteAllText(Path.Combine(dir, "iter_latest.ckpt"), "x");
        using (var c = Tiny(7)) Checkpointer.SaveBest(dir, c);
        Assert.Equal(Path.Combine(dir, "iter_00000020.ckpt"), Checkpointer.FindLatest(dir));
    }

    [Fact]
    public void TruncatedMissingAndForeignFilesGiveOneLineErrors()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        string path;
        using (var c = Tiny(5)) path = Checkpointer.Save(dir, 5, c);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        var e = Assert.Throws<SegmenterException>(() => Checkpointer.Load(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);

        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<SegmenterException>(() => Checkpointer.Load(path)).Message);

        var missing = Path.Combine(dir, "iter_00000006.ckpt");
        Assert.Contains("not found", Assert.Throws<SegmenterException>(() => Checkpointer.Load(missing)).Message);

        var foreign = Path.Combine(dir, "weights.safetensors");
        using (var t = torch.zeros(2)) SafeTensors.Save(foreign, new Dictionary<string, Tensor> { ["w"] = t });
        Assert.Contains("not a Segmenter checkpoint", Assert.Throws<SegmenterException>(() => Checkpointer.Load(foreign)).Message);
    }

    [Fact]
    public void WrongNumClassesNamesTheFix()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        string path;
        using (var c = Tiny(10, numClasses: 19)) path = Checkpointer.Save(dir, 10, c);
        using var loaded = Checkpointer.Load(path);
        var net = new TinyNet(numClasses: 21);
        var before = Snapshot(net);
        var e = Assert.Throws<SegmenterException>(() => loaded.ApplyTo(net, null));
        Assert.Equal(
            $"checkpoint {path} was trained with num_classes 19 (decode_head.conv_seg.weight [19,4,1,1]), the config has 21 " +
            "(fix: use the matching config or --cfg-options model.num_classes=19)", e.Message);
        foreach (var (k, v) in net.state_dict()) Assert.True(OptimizerTestKit.BitEqual(before[k], v), $"{k} was changed by a failed apply");
    }

    [Fact]
    public void OtherArchitectureMismatchNamesTheKey()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        string path;
        using (var c = Tiny(10, width: 4)) path = Checkpointer.Save(dir, 10, c);
        using var loaded = Checkpointer.Load(path);
        var e = Assert.Throws<SegmenterException>(() => loaded.ApplyTo(new TinyNet(width: 8), null));
        Assert.Contains("backbone.conv1.weight", e.Message);
        Assert.Contains("[4,3,3,3]", e.Message);
        Assert.Contains("tiny/num_classes=3", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        var opt = new Sgd(OptimizerFactory.BuildGroups(new OptimizerConfig(), new TinyNet()), 0.01);
        Assert.Contains("no optimizer state", Assert.Throws<SegmenterException>(() => loaded.ApplyTo(new TinyNet(), opt)).Message);
    }

    [Fact]
    public void UnwritableWorkDirGivesOneLineError()
    {
        var dir = TestPaths.NewTempDir("ckpt");
        var file = Path.Combine(dir, "a_file");
        File.WriteAllText(file, "not a directory");
        using var c = Tiny(1);
        var e = Assert.Throws<SegmenterException>(() => Checkpointer.Save(Path.Combine(file, "work"), 1, c));
        Assert.Contains("cannot write", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
