using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using Segmenter.Training.Distributed;
using TorchSharp;
using Xunit;

namespace Segmenter.Tests.Training.Distributed;

/// <summary>
/// Validation sharded over ranks (image r, r+N, ... on rank r) with the packed areas summed, as
/// <see cref="DistributedRun.Evaluate"/> does through MPI, equals evaluating the whole set in one process exactly.
/// </summary>
[Collection("cli")]
public sealed class ShardedEvaluationTests
{
    [Fact]
    public void ShardsCoverEveryItemOnce()
    {
        var ids = Enumerable.Range(0, 3).SelectMany(r => Enumerable.Range(0, new ShardedDataset(new Numbers(11), r, 3).Count)
            .Select(i => new ShardedDataset(new Numbers(11), r, 3).IdAt(i))).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 11).Select(i => i.ToString()).Order().ToList(), ids);
        Assert.Equal(0, new ShardedDataset(new Numbers(2), 2, 3).Count);
    }

    [Fact]
    public void SummedShardAreasEqualTheWholeSetExactly()
    {
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, [$"data.root={SynthData.VocRoot}", "data.num_workers=1"]);
        torch.manual_seed(5);
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var valSet = DatasetFactory.Create(cfg.Data, train: false, numClasses: cfg.Model.NumClasses);
        var whole = SegmentationEvaluator.Evaluate(model, cfg, valSet, torch.CPU);
        foreach (int world in new[] { 2, 3 })
        {
            var parts = Enumerable.Range(0, world).Select(r => SegmentationEvaluator.Evaluate(model, cfg, new ShardedDataset(valSet, r, world), torch.CPU)).ToList();
            var sum = new double[whole.PackAreas().Length];
            foreach (var p in parts) { var v = p.PackAreas(); for (int i = 0; i < sum.Length; i++) sum[i] += v[i]; }
            var merged = SemanticResult.UnpackAreas(sum, whole);
            Assert.Equal(whole.AreaIntersect, merged.AreaIntersect);
            Assert.Equal(whole.AreaUnion, merged.AreaUnion);
            Assert.Equal(whole.AreaLabel, merged.AreaLabel);
            Assert.Equal(whole.ImageCount, merged.ImageCount);
            Assert.Equal(whole.MIoU, merged.MIoU);
        }
    }

    /// <summary>
    /// The training loop's validation through <see cref="SemanticValidation"/> on concurrent shards whose sums meet at a
    /// barrier (what MPI's all-reduce does): metrics and the validation loss equal one process's.
    /// </summary>
    [Fact]
    public void ShardedValidationLossAndMetricsEqualOneProcess()
    {
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, [$"data.root={SynthData.VocRoot}", "data.num_workers=0", "train.threads=1"]);
        torch.manual_seed(5);
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        model.eval(); // the shards share one model: none may switch it back to training mode while another evaluates
        var validation = ValidationEvaluators.Create(cfg);
        var whole = validation.Evaluate(model, torch.CPU, new EvaluationOptions { CollectExtras = true });
        const int world = 2;
        var sums = new double[world][];
        using var barrier = new Barrier(world);
        void Sum(int rank, double[] values)
        {
            sums[rank] = (double[])values.Clone();
            barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++) values[i] = sums.Sum(v => v[i]);
            barrier.SignalAndWait();
        }
        var outcomes = new ValidationOutcome[world];
        var threads = Enumerable.Range(0, world).Select(r => new Thread(() => outcomes[r] = validation.Evaluate(model, torch.CPU,
            new EvaluationOptions { CollectExtras = true, Shard = new EvaluationShard(r, world, (v, _) => Sum(r, v)) }))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var o in outcomes)
        {
            Assert.Equal(whole["mIoU"], o["mIoU"]);
            Assert.Equal(whole.Semantic.AreaIntersect, o.Semantic.AreaIntersect);
            Assert.True(Math.Abs(whole["val_loss"] - o["val_loss"]) <= 1e-9 * whole["val_loss"], $"val_loss {o["val_loss"]} vs {whole["val_loss"]}");
        }
    }

    private sealed class Numbers(int n) : ISegmentationDataset
    {
        public int Count => n;
        public string IdAt(int index) => index.ToString();
        public Sample Load(int index) => throw new NotSupportedException();
    }
}
