using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.Models.Segmentors;
using Segmenter.Training.Optim;
using Segmenter.Training.Parallel;
using Serilog;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Training.Distributed;

/// <summary>
/// One rank's part in multi-process data-parallel training (one process per rank, started by mpirun/srun), built so
/// that N ranks follow the trajectory of one process with the whole batch:
/// <list type="bullet">
/// <item>data: every rank reads its own contiguous slice of each global batch (<see cref="BatchLoader.Part"/>, split as
/// <see cref="BatchSplit.Ranges"/>); data.batch_size is the global batch, still a pure function of (seed, iteration);</item>
/// <item>loss: every loss term is normalised over the global batch (Σ counted pixels or weights over the ranks, the
/// global hard-pixel top-k of Panoptic-DeepLab; sample shares with OHEM, as DDP), so the all-reduced SUM of gradients is
/// the whole-batch gradient, also with ignore pixels and uneven slices; logged losses are summed over the ranks;</item>
/// <item>step: gradients are summed in one fp32 bucket and every rank takes the same optimizer step on the same
/// numbers, so weights stay bit-identical without a broadcast; BatchNorm is synchronised across processes through the
/// same collective when train.sync_bn is set, else rank 0's running statistics are broadcast after each step (as
/// DDP's broadcast_buffers);</item>
/// <item>validation: each rank evaluates every N-th image and the metric areas are summed, so the numbers equal a
/// single-process evaluation exactly;</item>
/// <item>rank 0 alone writes checkpoints, logs and metrics; all ranks resume from the same checkpoint (the start
/// iteration is checked to agree) and stop at the same iteration on Ctrl+C/SIGTERM (the flag is reduced each step).</item>
/// </list>
/// </summary>
public sealed class DistributedRun : IDisposable
{
    private readonly IProcessGroup _group;
    private readonly ExperimentConfig _cfg;
    private SyncBatchNorm? _syncBn;
    private bool _verified;
    private double _stepSeconds, _reduceSeconds, _bucketBytes;
    private int _steps;

    private DistributedRun(IProcessGroup group, ExperimentConfig cfg)
    {
        _group = group;
        _cfg = cfg;
    }

    public IProcessGroup Group => _group;
    public int Rank => _group.Rank;
    public int WorldSize => _group.WorldSize;
    public bool IsRoot => _group.Rank == 0;

    /// <summary>True when any rank had its stop token set at the last step (all ranks then stop at the same iteration).</summary>
    public bool StopRequested { get; private set; }

    /// <summary>
    /// Starts the backend chosen by train.dist_backend under a launcher and sets this rank's torch threads; null when
    /// this is a single process (no launcher, or dist_backend inprocess): no collective, no thread change, the caller
    /// trains alone.
    /// </summary>
    public static DistributedRun? Start(ExperimentConfig cfg)
    {
        var t = cfg.Train;
        var env = DistributedEnvironment.Detect();
        var group = ProcessGroupFactory.Create(t.DistBackend, t.DistTimeoutS, cuda: t.Device.StartsWith("cuda", StringComparison.Ordinal), env);
        if (group is null) return null;
        if (t.Replicas > 1 || t.Device.Contains(','))
            throw new SegmenterException($"train.replicas {t.Replicas} / train.device {t.Device}: under {group.Backend} every process is one replica",
                "train.replicas", "start one process per device with the launcher (mpirun -np N) and keep train.replicas 1");
        if (t.Amp != "none")
            throw new SegmenterException($"train.amp {t.Amp} is not supported with several processes yet", "train.amp", "use train.amp none under mpirun/srun");
        ProcessGroupFactory.ConfigureThreads(env, t.Threads, group.Rank, group.WorldSize);
        var ranges = BatchSplit.Ranges(cfg.Data.BatchSize, group.WorldSize);
        Log.Information("Multi-process training over {Backend}: {World} ranks, global batch {Batch} ({Split} per rank), BatchNorm {Bn}",
            group.Backend, group.WorldSize, cfg.Data.BatchSize, string.Join("/", ranges.Select(r => r.Count)),
            t.SyncBn ? "synchronised across processes" : "per process (rank 0's running statistics broadcast)");
        return new DistributedRun(group, cfg);
    }

    /// <summary>This rank's slice of each global batch of <paramref name="batchSize"/> samples.</summary>
    public (int Start, int Count) BatchPart(int batchSize) => BatchSplit.Ranges(batchSize, WorldSize)[Rank];

    /// <summary>
    /// After building (and resuming) the model: checks that every rank starts at the same iteration (a rank that
    /// found another checkpoint would silently diverge), broadcasts rank 0's parameters and buffers (identical
    /// already when every rank seeded the same; this makes it a guarantee) and attaches SyncBN.
    /// </summary>
    public void Prepare(Segmentor model, long startIteration)
    {
        var starts = new[] { (double)startIteration, startIteration * (double)startIteration };
        _group.AllReduceSum(starts, "start-iteration");
        if (starts[0] != startIteration * (double)WorldSize || starts[1] != startIteration * (double)startIteration * WorldSize)
            throw new SegmenterException($"rank {Rank} starts at iteration {startIteration} but another rank does not", _cfg.Train.WorkDir,
                "all ranks must see the same work dir (a shared filesystem) and the same --resume checkpoint");
        using (torch.no_grad())
            _group.Broadcast(Rank, State(model), root: 0, "initial-state");
        if (_cfg.Train.SyncBn) _syncBn = SyncBatchNorm.Attach(model, _group, Rank);
    }

    /// <summary>One training step on this rank's slice of the global batch; returns the global batch's loss terms and their sum.</summary>
    public Dictionary<string, double> Step(Segmentor model, IOptimizer optimizer, Batch part, Device device, bool stopRequested)
    {
        Dictionary<string, double> values;
        var stepWatch = System.Diagnostics.Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            // Every loss term divides by the global batch's normaliser (counted pixels, weights, the global top-k), so
            // the all-reduced sum of gradients is the whole-batch gradient and the terms sum to the whole-batch loss.
            var input = part.ToTraining(device) with { Reduction = new CollectiveReduction(_group, Rank, device) };
            optimizer.ZeroGrad();
            var terms = model.ComputeLosses(input);
            var total = terms.Values.Aggregate((a, b) => a + b);
            total.backward();
            values = terms.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).item<double>());
            values["loss"] = total.to_type(ScalarType.Float64).item<double>();

            var parameters = model.parameters().ToList();
            var bucket = GradientBucket.Flatten(parameters);
            var reduceWatch = System.Diagnostics.Stopwatch.StartNew();
            _group.AllReduceSum(Rank, [bucket], "grads");
            _reduceSeconds += reduceWatch.Elapsed.TotalSeconds;
            _bucketBytes = bucket.numel() * 4.0;
            GradientBucket.Unflatten(bucket, parameters);
            if (_cfg.Optimizer.GradClip is { } maxNorm) GradClipper.ClipGlobalNorm(parameters, maxNorm);
            optimizer.Step();
            if (_syncBn is null)
                using (torch.no_grad())
                    _group.Broadcast(Rank, model.buffers().Where(b => b.is_floating_point()).ToList(), root: 0, "bn-buffers");
        }
        _stepSeconds += stepWatch.Elapsed.TotalSeconds;
        _steps++;
        if (_syncBn is not null && !_verified)
        {
            _syncBn.Verify();
            _verified = true;
        }

        // Logged losses and the stop flag in one small reduction (keys are in the model's order, the same on every rank).
        var keys = values.Keys.ToList();
        var packed = keys.Select(k => values[k]).Append(stopRequested ? 1.0 : 0.0).ToArray();
        _group.AllReduceSum(packed, "losses");
        StopRequested = packed[^1] > 0;
        return keys.Select((k, i) => (k, packed[i])).ToDictionary(x => x.k, x => x.Item2);
    }

    /// <summary>Validation sharded over the ranks (image r, r+N, ... on rank r) with the statistics summed: equal to a single-process run.</summary>
    public EvaluationShard EvaluationShard => new(Rank, WorldSize, (values, tag) => _group.AllReduceSum(values, tag));

    /// <summary>
    /// At the end of a successful run: every rank compares its parameters and buffers with rank 0's (one broadcast of
    /// the model; they must be bit-identical, else the ranks trained different models and the run is wrong), then
    /// MPI is finalised at process exit.
    /// </summary>
    public void Complete(Segmentor model)
    {
        double differing = 0;
        using (var scope = NewDisposeScope())
        using (torch.no_grad())
        {
            var state = State(model);
            var copies = state.Select(t => t.detach().clone()).ToList();
            _group.Broadcast(Rank, copies, root: 0, "final-state-check");
            for (int i = 0; i < state.Count; i++)
                if (!state[i].eq(copies[i]).all().item<bool>()) differing++;
        }
        var total = new[] { differing };
        _group.AllReduceSum(total, "final-state-check-count");
        if (total[0] > 0)
            throw new InvalidOperationException($"ranks ended with different weights ({total[0]} tensors differ from rank 0's; this rank: {differing})");
        Log.Information("All {World} ranks hold bit-identical weights", WorldSize);
        LogCommunication();
        _group.Barrier("end");
        MpiCollective.CleanExit = true;
    }

    public void Dispose()
    {
        _syncBn?.Dispose();
        _group.Dispose();
    }

    /// <summary>Rank 0 logs the gradient all-reduce's share of the step time and its bandwidth, and every rank's peak RSS.</summary>
    private void LogCommunication()
    {
        var rss = new double[WorldSize];
        rss[Rank] = TrainProgress.RssBytes() / 1048576.0;
        _group.AllReduceSum(rss, "rss");
        if (!IsRoot || _steps == 0) return;
        Log.Information("Gradient all-reduce: {Mb:F1} MB per step, {Ms:F1} ms = {Share:P1} of the {Step:F3} s step, {GBs:F2} GB/s; RSS per rank at the end (MB): {Rss}",
            _bucketBytes / 1048576, 1e3 * _reduceSeconds / _steps, _reduceSeconds / _stepSeconds, _stepSeconds / _steps,
            _reduceSeconds > 0 ? _bucketBytes * _steps / _reduceSeconds / 1e9 : 0, string.Join(" ", rss.Select(r => r.ToString("F0"))));
    }

    private static List<Tensor> State(Segmentor model) =>
        model.parameters().Cast<Tensor>().Concat(model.buffers()).Where(t => t.is_floating_point()).ToList();
}
