using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models.Segmentors;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Runs a model over a dataset and accumulates mmseg-style areas against the ORIGINAL-resolution labels.
/// Each image runs inside its own DisposeScope under no_grad; decoding happens on loader threads.
/// </summary>
public static class SegmentationEvaluator
{
    public static SemanticResult Evaluate(Segmentor model, ExperimentConfig cfg, ISegmentationDataset dataset, Device device,
        Action<int, int>? onProgress = null)
    {
        var metric = new SemanticMetric(cfg.Model.NumClasses, cfg.Data.IgnoreIndex);
        bool wasTraining = model.training;
        model.eval();
        var transform = new TestTransform(cfg.Data);
        int done = 0;
        using (no_grad())
        {
            foreach (var item in new EvalLoader(dataset, transform, cfg.Data.NumWorkers, cfg.Data.Prefetch).Iterate())
            {
                using var scope = NewDisposeScope();
                var image = tensor(item.Image, new long[] { 1, 3, item.Height, item.Width }).to(device);
                var pred = SegmentationInference.Predict(model, image, cfg.Test, item.OrigHeight, item.OrigWidth, cfg.Model.DecodeHead.AlignCorners);
                metric.Update(pred, item.Label);
                done++;
                onProgress?.Invoke(done, dataset.Count);
            }
        }
        if (wasTraining) model.train();
        Log.Debug("Evaluated {Count} images", done);
        return metric.Compute();
    }
}
