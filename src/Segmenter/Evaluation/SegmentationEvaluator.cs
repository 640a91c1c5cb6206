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
        Action<int, int>? onProgress = null, Action<int, TransformedSample, Tensor, byte[]>? onImage = null)
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
                var scores = SegmentationInference.Scores(model, image, cfg.Test, item.OrigHeight, item.OrigWidth, cfg.Model.DecodeHead.AlignCorners);
                var pred = scores.argmax(1)[0].to(ScalarType.Byte).cpu().data<byte>().ToArray();
                metric.Update(pred, item.Label);
                // Per-image hook (validation loss, panels, confusion, show-dir): class scores [1, C, H0, W0] and the argmax.
                onImage?.Invoke(done, item, scores, pred);
                done++;
                onProgress?.Invoke(done, dataset.Count);
                Logging.ProgressReporting.Report("eval", done, dataset.Count);
            }
        }
        if (wasTraining) model.train();
        Log.Debug("Evaluated {Count} images", done);
        return metric.Compute();
    }
}
