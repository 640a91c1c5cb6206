using Segmenter.Data;
using Segmenter.IO;
using Segmenter.Visualization;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// What a training run wants from a validation pass besides the metric, gathered image by image through
/// <see cref="SegmentationEvaluator.Evaluate"/>'s per-image hook:
/// the validation loss — mean per-pixel cross-entropy of the class scores at the original resolution against the
/// original label, ignore_index and out-of-range labels excluded, summed over all pixels of the split then divided
/// (like the metric's areas; MMSegmentation has no built-in val loss, this is the decode head's CE as its loss_decode
/// would compute it with avg_non_ignore) — and image | ground truth | prediction panels of the first few images.
/// With test-time augmentation the scores are averaged probabilities, so the loss is −log p of the averaged p.
/// </summary>
public sealed class ValidationCollector(ISegmentationDataset dataset, int numClasses, int ignoreIndex, bool scoresAreProbabilities,
    IReadOnlyList<(byte R, byte G, byte B)> palette, int maxPanels = 4, int panelSide = 256) : IValidationExtras
{
    private double _lossSum;
    private long _pixels;

    /// <summary>Mean validation cross-entropy over all non-ignored pixels (NaN when there were none).</summary>
    public double Loss => _pixels == 0 ? double.NaN : _lossSum / _pixels;

    public List<(string Id, RgbImage Panel)> Panels { get; } = new();

    public void Reduce(EvaluationShard shard)
    {
        var sums = new[] { _lossSum, _pixels };
        shard.Sum(sums, "val-loss");
        (_lossSum, _pixels) = (sums[0], (long)sums[1]);
    }

    /// <summary>The per-image hook: <paramref name="scores"/> [1, C, H0, W0], <paramref name="pred"/> the argmax at H0 x W0.</summary>
    public void OnImage(int index, TransformedSample item, Tensor scores, byte[] pred)
    {
        using (var scope = NewDisposeScope())
        {
            var label = tensor(item.Label, [1, item.OrigHeight, item.OrigWidth], ScalarType.Byte).to(scores.device).to(ScalarType.Int64);
            var valid = label.ne(ignoreIndex).logical_and(label.lt(numClasses));
            var target = where(valid, label, zeros_like(label));
            var logp = scoresAreProbabilities ? scores.clamp_min(1e-12).log() : nn.functional.log_softmax(scores, 1);
            var nll = logp.gather(1, target.unsqueeze(1)).squeeze(1).neg().mul(valid);
            _lossSum += nll.sum().to(ScalarType.Float64).cpu().item<double>();
            _pixels += valid.sum().cpu().item<long>();
        }
        if (Panels.Count < maxPanels)
        {
            var image = dataset.Load(index).Image;
            var truth = new LabelMap(item.OrigWidth, item.OrigHeight, item.Label);
            var prediction = new LabelMap(item.OrigWidth, item.OrigHeight, pred);
            var tiles = new[] { image, Visualization.Panels.Colorize(truth, palette, ignoreIndex), Visualization.Panels.Colorize(prediction, palette, ignoreIndex) }
                .Select(t => Visualization.Panels.FitWithin(t, panelSide)).ToList();
            Panels.Add((item.Id, Visualization.Panels.SideBySide(tiles)));
        }
    }
}
