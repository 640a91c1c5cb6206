using System.Diagnostics;
using Segmenter.Data;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training.Amp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Training.Parallel;

/// <summary>How a <see cref="DataParallelTrainer"/> runs.</summary>
public sealed record DataParallelOptions
{
    /// <summary>BatchNorm statistics over all replicas (SyncBN) instead of per replica.</summary>
    public bool SyncBatchNorm { get; init; }
    /// <summary>Low-precision working copies (bf16/fp16) with fp32 master weights; null = fp32 replicas.</summary>
    public ScalarType? WorkingType { get; init; }
    /// <summary>Dynamic loss scaling (fp16); null = none.</summary>
    public LossScaler? Scaler { get; init; }
    /// <summary>Global gradient-norm clipping of the summed gradients; null = none.</summary>
    public double? GradClip { get; init; }
    /// <summary>
    /// Benchmarking: an extra barrier before the gradient reduction, so that its time excludes waiting for the
    /// slowest replica (reported separately as <see cref="ParallelStepResult.WaitSeconds"/>).
    /// </summary>
    public bool SeparateWaitTime { get; init; }
    /// <summary>The collective; null = an <see cref="InProcessCollective"/> over the replicas.</summary>
    public ICollective? Collective { get; init; }
    /// <summary>train.seed: with several replicas their dropout masks are drawn per (seed, iteration, replica).</summary>
    public long Seed { get; init; }
}

/// <summary>One data-parallel step's outcome. Times in seconds, measured on rank 0.</summary>
public sealed record ParallelStepResult(Dictionary<string, double> Losses, bool Skipped, double StepSeconds, double ReduceSeconds, double BroadcastSeconds,
    double WaitSeconds = 0);

/// <summary>
/// Data-parallel training in one process: one model replica per device, the batch split across them, forward and
/// backward on every replica concurrently (one thread each), the gradients summed across replicas through an
/// <see cref="ICollective"/> (one flat fp32 bucket), one optimizer step on the master weights, and the parameters
/// and buffers broadcast so that all replicas stay identical. Each replica's loss terms are normalised over the whole
/// batch by the losses themselves (<see cref="CollectiveReduction"/>: counted pixels, weights, the global hard-pixel
/// top-k), so the summed gradient equals the whole-batch gradient for every task: with SyncBN (or without BatchNorm)
/// N replicas follow the same trajectory as one replica with the whole batch.
/// The master is the model the optimizer, evaluation and checkpoints see. In fp32 it is replica 0 itself; with
/// mixed precision the replicas are bf16/fp16 working copies and the master stays fp32.
/// </summary>
public sealed class DataParallelTrainer : IDisposable
{
    private readonly Segmentor _master;
    private readonly List<Segmentor> _replicas;
    private readonly IReadOnlyList<Device> _devices;
    private readonly IOptimizer _optimizer;
    private readonly DataParallelOptions _options;
    private readonly ICollective _collective;
    private readonly InProcessCollective? _ownCollective;
    private readonly List<SyncBatchNorm> _syncBn = [];
    private readonly List<Parameter>[] _params;
    private readonly List<Tensor>[] _state;
    private readonly List<Parameter> _masterParams;
    private readonly List<Tensor> _masterBuffers;
    private bool _verified;
    private bool _broken;
    private readonly Generator[] _dropoutGenerators = [];

    /// <summary>
    /// Builds the replicas with <paramref name="build"/> (same architecture as <paramref name="master"/>; the torch
    /// RNG is restored afterwards, so building them changes no later random draw), moves replica r to
    /// <paramref name="devices"/>[r] and copies the master's weights and buffers into them. The optimizer must
    /// hold the master's parameters.
    /// </summary>
    public DataParallelTrainer(Segmentor master, Func<Segmentor> build, IReadOnlyList<Device> devices, IOptimizer optimizer, DataParallelOptions options)
    {
        if (devices.Count < 1) throw new ArgumentException("at least one device", nameof(devices));
        _master = master;
        _devices = devices;
        _optimizer = optimizer;
        _options = options;
        if (options.Collective is { } c)
        {
            if (c.WorldSize != devices.Count)
                throw new ArgumentException($"collective of {c.WorldSize} ranks for {devices.Count} replicas");
            _collective = c;
        }
        else
        {
            _collective = _ownCollective = new InProcessCollective(devices.Count);
        }

        _replicas = [];
        using (var rng = torch.get_rng_state())
        {
            bool separateMaster = options.WorkingType is not null;
            for (int r = 0; r < devices.Count; r++)
            {
                var replica = r == 0 && !separateMaster ? master : build();
                if (!ReferenceEquals(replica, master))
                {
                    replica.to(devices[r]);
                    if (options.WorkingType is { } wt) replica.to(wt);
                }
                replica.train(master.training);
                _replicas.Add(replica);
            }
            torch.set_rng_state(rng);
        }

        var masterNames = master.named_parameters().Select(p => p.name).ToList();
        foreach (var replica in _replicas)
            if (!replica.named_parameters().Select(p => p.name).SequenceEqual(masterNames))
                throw new ArgumentException("the replicas do not have the master's parameters (another architecture?)");
        _masterParams = master.parameters().ToList();
        _masterBuffers = master.buffers().ToList();
        _params = _replicas.Select(m => m.parameters().ToList()).ToArray();
        _state = _replicas.Select(m => m.parameters().Cast<Tensor>().Concat(m.buffers()).ToList()).ToArray();

        // Replica threads would race for the global generator's dropout masks: each replica draws from its own.
        if (devices.Count > 1)
        {
            _dropoutGenerators = devices.Select(d => new Generator(0, d)).ToArray();
            for (int r = 0; r < _replicas.Count; r++)
                foreach (var dropout in _replicas[r].modules().OfType<SeededDropout>()) dropout.Generator = _dropoutGenerators[r];
        }
        if (options.SyncBatchNorm && devices.Count > 1)
            for (int r = 0; r < _replicas.Count; r++) _syncBn.Add(SyncBatchNorm.Attach(_replicas[r], _collective, r));
        SyncFromMaster();
    }

    public int ReplicaCount => _replicas.Count;
    public IReadOnlyList<Segmentor> Replicas => _replicas;
    public Segmentor Master => _master;

    /// <summary>Copies the master's parameters and buffers into every replica (after a resume, or any change to the master).</summary>
    public void SyncFromMaster()
    {
        using var noGrad = torch.no_grad();
        var masterState = _masterParams.Cast<Tensor>().Concat(_masterBuffers).ToList();
        foreach (var (replica, r) in _replicas.Select((m, i) => (m, i)))
        {
            if (ReferenceEquals(replica, _master)) continue;
            for (int i = 0; i < masterState.Count; i++) _state[r][i].copy_(masterState[i]);
        }
    }

    /// <summary>One training step on <paramref name="batch"/> at the optimizer's current learning rate.</summary>
    public ParallelStepResult Step(Batch batch)
    {
        if (_broken) throw new InvalidOperationException("a previous data-parallel step failed; the replicas are no longer in step");
        var watch = Stopwatch.StartNew();
        int n = _replicas.Count;
        var ranges = BatchSplit.Ranges(batch.N, n);
        var losses = new Dictionary<string, double>[n];
        double reduceSeconds = 0, broadcastSeconds = 0, waitSeconds = 0;
        bool finite = true;
        double scale = _options.Scaler?.Scale ?? 1.0;

        using var scope = NewDisposeScope();
        var inputs = BatchSplit.ToReplicaBatches(batch, ranges, _devices);
        for (int r = 0; r < _dropoutGenerators.Length; r++)
            _dropoutGenerators[r].manual_seed((long)(SeedMixer.Mix(_options.Seed, batch.Iteration, r) >> 1));
        try
        {
            ReplicaThreads.Run(n, rank =>
            {
                using var rankScope = NewDisposeScope();
                var replica = _replicas[rank];
                var input = inputs[rank] with { Reduction = new CollectiveReduction(_collective, rank, _devices[rank]) };
                if (_options.WorkingType is { } wt) input = input with { Images = input.Images.to_type(wt) };
                ZeroGrads(_params[rank]);
                var terms = replica.ComputeLosses(input);
                var total = terms.Values.Aggregate((a, b) => a + b);
                (scale == 1.0 ? total : total * scale).backward();
                var values = terms.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).item<double>());
                values["loss"] = total.to_type(ScalarType.Float64).item<double>();
                losses[rank] = values;

                if (_options.SeparateWaitTime)
                {
                    var waitWatch = Stopwatch.StartNew();
                    _collective.AllReduceSum(rank, [], "ready");
                    if (rank == 0) waitSeconds = waitWatch.Elapsed.TotalSeconds;
                }
                var reduceWatch = Stopwatch.StartNew();
                var bucket = Flatten(_params[rank]);
                _collective.AllReduceSum(rank, [bucket], "grads");
                if (rank == 0)
                {
                    Unflatten(bucket, _masterParams, _params[0]);
                    reduceSeconds = reduceWatch.Elapsed.TotalSeconds;
                    finite = ApplyStep();
                }

                var broadcastWatch = Stopwatch.StartNew();
                _collective.Broadcast(rank, _state[rank], root: 0, "state");
                if (rank == 0) broadcastSeconds = broadcastWatch.Elapsed.TotalSeconds;
            }, Abort);
        }
        catch
        {
            _broken = true;
            throw;
        }
        if (!_verified)
        {
            foreach (var s in _syncBn) s.Verify();
            _verified = true;
        }

        var sum = new Dictionary<string, double>();
        foreach (var values in losses)
            foreach (var (k, v) in values) sum[k] = sum.GetValueOrDefault(k) + v;
        return new ParallelStepResult(sum, !finite, watch.Elapsed.TotalSeconds, reduceSeconds, broadcastSeconds, waitSeconds);
    }

    /// <summary>On rank 0, with the summed gradients in the master's grads: unscale/check, clip, step, refresh replica 0.</summary>
    private bool ApplyStep()
    {
        var grads = _masterParams.Select(p => p.grad).Where(g => g is not null).Cast<Tensor>().ToList();
        bool finite = true;
        if (_options.Scaler is { } scaler)
        {
            finite = scaler.UnscaleAndCheck(grads);
            scaler.Update(finite);
        }
        if (finite)
        {
            if (_options.GradClip is { } maxNorm) GradClipper.ClipGlobalNorm(_masterParams, maxNorm);
            _optimizer.Step();
        }
        if (!ReferenceEquals(_replicas[0], _master))
        {
            // Mixed precision: the new fp32 weights go to the working copy; its BN running stats come back to the master.
            using var noGrad = torch.no_grad();
            var replicaParams = _params[0];
            for (int i = 0; i < _masterParams.Count; i++) replicaParams[i].copy_(_masterParams[i]);
            var replicaBuffers = _replicas[0].buffers().ToList();
            for (int i = 0; i < _masterBuffers.Count; i++) _masterBuffers[i].copy_(replicaBuffers[i]);
        }
        return finite;
    }

    private void Abort()
    {
        _ownCollective?.Abort();
    }

    private static void ZeroGrads(IEnumerable<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in parameters)
        {
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>All gradients as one fp32 vector (zeros where a parameter has none), so one collective moves them all.</summary>
    private static Tensor Flatten(IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        var parts = parameters.Select(p => p.grad is { } g ? g.flatten().to_type(ScalarType.Float32) : torch.zeros(p.numel(), dtype: ScalarType.Float32, device: p.device));
        return torch.cat(parts.ToArray());
    }

    /// <summary>Writes the summed bucket into the master's gradients, for the parameters that have one on replica 0.</summary>
    private static void Unflatten(Tensor bucket, IReadOnlyList<Parameter> master, IReadOnlyList<Parameter> replica0)
    {
        using var noGrad = torch.no_grad();
        long offset = 0;
        for (int i = 0; i < master.Count; i++)
        {
            var p = master[i];
            long numel = p.numel();
            if (replica0[i].grad is not null)
            {
                var slice = bucket.narrow(0, offset, numel).view_as(p);
                if (p.grad is { } g) g.copy_(slice);
                else p.grad = slice.to(p.dtype, p.device, copy: true);
            }
            offset += numel;
        }
    }

    public void Dispose()
    {
        foreach (var s in _syncBn) s.Dispose();
        _syncBn.Clear();
        // The master (replica 0 in fp32) outlives this trainer: its dropout goes back to the global generator.
        foreach (var dropout in _replicas.SelectMany(m => m.modules().OfType<SeededDropout>())) dropout.Generator = null;
        foreach (var g in _dropoutGenerators) g.Dispose();
        foreach (var replica in _replicas)
            if (!ReferenceEquals(replica, _master)) replica.Dispose();
        _ownCollective?.Dispose();
    }
}
