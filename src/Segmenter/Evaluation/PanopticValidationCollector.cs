using Segmenter.Data;
using Segmenter.IO;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// What a panoptic training run wants from a validation pass besides PQ: the validation loss — the training loss
/// (semantic DeepLabCE with hard-pixel mining and small-instance weights, centre MSE, offset L1, weighted as in
/// training) of each image's outputs at the original resolution against targets generated from its ground truth,
/// averaged over the images (Detectron2 computes none; this is what its training loss would be on the split) — and
/// image | ground truth | prediction panels of the first few images (category colours, outlines, thing ids).
/// </summary>
public sealed class PanopticValidationCollector(PanopticDeepLab model, PanopticDataset dataset, PanopticTargetOptions targets,
    IReadOnlyList<(byte R, byte G, byte B)> palette, int maxPanels = 4, int panelSide = 256) : IPanopticImageObserver, IValidationExtras
{
    private double _lossSum;
    private int _images;

    public double Loss => _images == 0 ? double.NaN : _lossSum / _images;
    public List<(string Id, RgbImage Panel)> Panels { get; } = new();

    public void Reduce(EvaluationShard shard)
    {
        var sums = new[] { _lossSum, _images };
        shard.Sum(sums, "val-loss");
        (_lossSum, _images) = (sums[0], (int)sums[1]);
    }

    public void OnOutputs(int index, PanopticIdMap truth, Tensor semantic, Tensor center, Tensor offset)
    {
        var item = dataset.Items[index];
        var gt = PanopticGroundTruth.Create(truth, item.Segments, dataset.Classes, item.PanopticPath);
        using var scope = NewDisposeScope();
        using var batch = PanopticTargetBatch.Stack([PanopticTargets.Generate(gt, targets)], semantic.device);
        var losses = model.Losses(semantic, center, offset, batch);
        _lossSum += losses.Values.Aggregate((a, b) => a + b).to(ScalarType.Float64).cpu().item<double>();
        _images++;
    }

    public void OnPrediction(int index, Sample sample, PanopticIdMap truth, PanopticIdMap prediction, IReadOnlyList<PanopticSegment> segments)
    {
        if (Panels.Count >= maxPanels) return;
        var classes = dataset.Classes;
        (byte, byte, byte) Colour(int category) => palette[Math.Max(0, classes.ClassOf(category)) % palette.Count];
        bool IsThing(int category) => classes.ClassOf(category) is var k && k >= 0 && classes.IsThing[k];
        var tiles = new[]
        {
            sample.Image,
            Visualization.PanopticOverlay.Draw(sample.Image, truth, dataset.Items[index].Segments, Colour, IsThing, 0.6),
            Visualization.PanopticOverlay.Draw(sample.Image, prediction, segments, Colour, IsThing, 0.6),
        }.Select(t => Visualization.Panels.FitWithin(t, panelSide)).ToList();
        Panels.Add((sample.Id, Visualization.Panels.SideBySide(tiles)));
    }
}
