using System.Text.Json.Nodes;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>Panoptic metrics of one evaluation: PQ/SQ/RQ (panopticapi) and the semantic branch's mIoU.</summary>
public sealed record PanopticEvalResult(PanopticResult Panoptic, SemanticResult Semantic);

/// <summary>
/// Panoptic-DeepLab inference: test_pipeline resize and normalisation, whole-image or sliding-window passes with optional
/// multi-scale / flip TTA (cfg.test, the code semantic models run: <see cref="SegmentationInference.Outputs"/>), the three
/// outputs merged at the original image size (offsets scaled with the size), then <see cref="PanopticPostProcessor"/> once.
/// <see cref="Evaluate"/> scores a <see cref="PanopticDataset"/> like panopticapi (GT areas from the json) and the
/// semantic argmax like mmseg.
/// </summary>
public static class PanopticInference
{
    public static PanopticPostProcessOptions PostProcessOptions(PanopticConfig p) => new()
    {
        CenterThreshold = p.CenterThreshold, NmsKernel = p.NmsKernel, TopK = p.TopK, StuffArea = p.StuffArea, LabelDivisor = p.LabelDivisor,
    };

    public static PanopticTargetOptions TargetOptions(PanopticConfig p, int ignoreIndex) => new()
    {
        IgnoreLabel = ignoreIndex, Sigma = p.Sigma, SmallInstanceArea = p.SmallInstanceArea, SmallInstanceWeight = p.SmallInstanceWeight,
        IgnoreStuffInOffset = p.IgnoreStuffInOffset, IgnoreCrowdInSemantic = p.IgnoreCrowdInSemantic,
    };

    /// <summary>
    /// Panoptic-DeepLab resizes its outputs with align_corners=True (bowenc0221 upsample_predictions, detectron2
    /// PanopticDeepLab), so the outputs at the test_pipeline size go back to the original size the same way.
    /// </summary>
    public const bool AlignCorners = true;

    /// <summary>A tuple forward (e.g. <see cref="Inference.OnnxPanopticModel.Predict"/>) as a forward over named outputs.</summary>
    public static NamedForward Named(PanopticForward model) => images =>
    {
        var (semantic, center, offset) = model(images);
        return new Dictionary<string, Tensor>
        {
            [PanopticDeepLab.SemanticOutput] = semantic, [PanopticDeepLab.CenterOutput] = center, [PanopticDeepLab.OffsetOutput] = offset,
        };
    };

    /// <summary>Predicts one decoded sample; returns the panoptic prediction and the semantic argmax at the original size.</summary>
    public static (PanopticPrediction Prediction, byte[] Semantic) Predict(PanopticDeepLab model, PanopticPostProcessor post, TestTransform transform,
        TestConfig test, Sample sample, Device device) => Predict(model.Forward, post, transform, test, sample, device);

    /// <summary>
    /// As above with any forward over the named outputs "semantic", "center", "offset" (e.g. an ONNX Runtime session).
    /// test.mode (whole/slide), test.scales and test.flip apply as for semantic models (<see cref="SegmentationInference.Outputs"/>):
    /// the semantic probabilities, centre heatmaps and offsets of every window / scale / flip are merged at the original
    /// size, then the post-processing (centre NMS, grouping, majority vote) runs once on the merged outputs.
    /// </summary>
    /// <param name="onOutputs">Called with the semantic logits, centre heatmap and offsets at the original size (no_grad, freed
    /// afterwards). With TTA the semantic scores are averaged probabilities p and it gets log p (clamped at 1e-12), whose
    /// softmax is p again, so a loss on logits stays the loss of the averaged prediction (as ValidationCollector does).</param>
    public static (PanopticPrediction Prediction, byte[] Semantic) Predict(NamedForward model, PanopticPostProcessor post, TestTransform transform,
        TestConfig test, Sample sample, Device device, Action<Tensor, Tensor, Tensor>? onOutputs = null)
    {
        using var scope = NewDisposeScope();
        var t = transform.Apply(sample);
        using var noGrad = no_grad();
        var outputs = SegmentationInference.Outputs(model, PanopticDeepLab.PanopticOutputSpecs, t.ImageTensor(device), test,
            t.OrigHeight, t.OrigWidth, AlignCorners);
        var sem = outputs[PanopticDeepLab.SemanticOutput];
        var center = outputs[PanopticDeepLab.CenterOutput];
        var offset = outputs[PanopticDeepLab.OffsetOutput];
        onOutputs?.Invoke(SegmentationInference.UsesTta(test) ? sem.clamp_min(1e-12).log() : sem, center, offset);
        var labels = sem[0].argmax(0).to(CPU).to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
        var prediction = post.Process(labels, center[0].to(CPU), offset[0].to(CPU));
        return (prediction, labels.Select(v => (byte)v).ToArray());
    }

    /// <param name="predictionDir">When set, also writes COCO panoptic predictions there: panoptic_pred.json + panoptic_pred/*.png (GT file names).</param>
    public static PanopticEvalResult Evaluate(PanopticDeepLab model, ExperimentConfig cfg, PanopticDataset dataset, Device device, int? maxImages = null,
        string? predictionDir = null, EvaluationShard? shard = null, IPanopticImageObserver? observer = null)
    {
        bool wasTraining = model.training;
        model.eval();
        try { return Evaluate(model.Forward, cfg, dataset, device, maxImages, predictionDir, shard, observer); }
        finally { if (wasTraining) model.train(); }
    }

    /// <summary>As above with a tuple forward pass (e.g. <see cref="Inference.OnnxPanopticModel.Predict"/>, with cfg's mean 0 / std 1).</summary>
    public static PanopticEvalResult Evaluate(PanopticForward model, ExperimentConfig cfg, PanopticDataset dataset, Device device, int? maxImages = null,
        string? predictionDir = null, EvaluationShard? shard = null, IPanopticImageObserver? observer = null) =>
        Evaluate(Named(model), cfg, dataset, device, maxImages, predictionDir, shard, observer);

    /// <summary>As above with any forward over named outputs (e.g. an ONNX Runtime session, with cfg's mean 0 / std 1); inference follows cfg.test.</summary>
    /// <param name="shard">Several processes: this rank evaluates images rank, rank + N, ... and the PQ totals and semantic areas are summed over the ranks.</param>
    public static PanopticEvalResult Evaluate(NamedForward model, ExperimentConfig cfg, PanopticDataset dataset, Device device, int? maxImages = null,
        string? predictionDir = null, EvaluationShard? shard = null, IPanopticImageObserver? observer = null)
    {
        var part = shard ?? EvaluationShard.Whole;
        var annotations = new JsonArray();
        string? pngDir = predictionDir is null ? null : Path.Combine(Path.GetFullPath(predictionDir), "panoptic_pred");
        if (pngDir is not null) Directory.CreateDirectory(pngDir);
        var post = new PanopticPostProcessor(dataset.Classes.IsThing, PostProcessOptions(cfg.Model.Panoptic));
        var transform = new TestTransform(cfg.Data);
        var pq = new PanopticQuality(dataset.Classes.Categories);
        var miou = new SemanticMetric(dataset.Classes.NumClasses, cfg.Data.IgnoreIndex);
        int n = Math.Min(dataset.Count, maxImages ?? int.MaxValue);
        for (int i = part.Rank; i < n; i += part.WorldSize)
        {
            var sample = dataset.Load(i);
            var item = dataset.Items[i];
            var truth = PanopticIdMap.ReadRgbPng(item.PanopticPath, dataset.ReadOptions.MaxImagePixels);
            var (prediction, semantic) = Predict(model, post, transform, cfg.Test, sample, device,
                observer is null ? null : (s, c, o) => observer.OnOutputs(i, truth, s, c, o));
            var (map, segments) = prediction.ToCocoFormat(dataset.Classes);
            observer?.OnPrediction(i, sample, truth, map, segments);
            pq.Update(item.Id, truth, item.Segments, map, segments, item.PanopticPath);
            if (pngDir is not null)
            {
                var file = Path.GetFileName(item.PanopticPath);
                PanopticIdMap.WriteRgbPng(Path.Combine(pngDir, file), map);
                var segs = new JsonArray(segments.Select(x => (JsonNode?)new JsonObject
                {
                    ["id"] = x.Id, ["category_id"] = x.CategoryId, ["area"] = x.Area, ["iscrowd"] = 0,
                }).ToArray());
                annotations.Add(new JsonObject
                {
                    ["image_id"] = long.TryParse(item.Id, out var numeric) ? JsonValue.Create(numeric) : JsonValue.Create(item.Id),
                    ["file_name"] = file, ["segments_info"] = segs,
                });
            }
            miou.Update(semantic, sample.Label.Data);
            Logging.ProgressReporting.Report("eval", i + 1, n);
        }
        if (pngDir is not null)
            IO.AtomicFile.WriteAllText(pngDir + ".json", new JsonObject
            {
                ["annotations"] = annotations,
                ["categories"] = new JsonArray(dataset.Classes.Categories.Select(c => (JsonNode?)new JsonObject
                    { ["id"] = c.Id, ["name"] = c.Name, ["isthing"] = c.IsThing ? 1 : 0 }).ToArray()),
            }.ToJsonString());
        if (part.WorldSize > 1)
        {
            var totals = pq.PackTotals();
            part.Sum(totals, "val-pq");
            pq.SetTotals(totals);
        }
        return new PanopticEvalResult(pq.Compute(), miou.Compute().SumOver(part));
    }
}
