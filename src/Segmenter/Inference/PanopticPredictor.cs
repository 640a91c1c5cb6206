using System.Text.Json.Nodes;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.IO;
using Segmenter.Models.Segmentors;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// `segment predict` for panoptic models: each input image → whole/slide inference with optional TTA (cfg.test) →
/// Panoptic-DeepLab post-processing → COCO panoptic format,
/// i.e. out/panoptic/&lt;stem&gt;.png (id = R + 256 G + 256² B) and out/panoptic.json (images, annotations with
/// segments_info, categories of the dataset the model was trained on). image_id is the file stem.
/// </summary>
public static class PanopticPredictor
{
    public static int Run(PanopticDeepLab model, ExperimentConfig cfg, PanopticClassMap classes, string input, string outDir, Device device, double? overlay = null)
    {
        model.eval();
        return Run(model.Forward, cfg, classes, input, outDir, device, overlay);
    }

    /// <summary>As above with any forward over named outputs (ONNX Runtime: <see cref="OnnxPanopticModel.Forward"/> with cfg's mean 0 / std 1).
    /// Inference follows cfg.test (whole/slide, scales/flip TTA) through the code `segment eval` runs.</summary>
    public static int Run(NamedForward model, ExperimentConfig cfg, PanopticClassMap classes, string input, string outDir, Device device,
        double? overlay = null)
    {
        var inputs = Predictor.ListInputs(input);
        var pngDir = Path.Combine(Path.GetFullPath(outDir), "panoptic");
        Directory.CreateDirectory(pngDir);
        var post = new PanopticPostProcessor(classes.IsThing, PanopticInference.PostProcessOptions(cfg.Model.Panoptic));
        var transform = new TestTransform(cfg.Data);
        var images = new JsonArray();
        var annotations = new JsonArray();
        var failures = new InputFailures(inputs.Count, input);
        int seen = 0;
        foreach (var path in inputs)
        {
            Logging.ProgressReporting.Report("predict", seen++, inputs.Count);
            if (failures.Try(path, p => ImageIO.ReadRgb(p, cfg.Data.MaxImagePixels)) is not { } image) continue; // listed at the end; the others go on
            var sample = new Sample(Path.GetFileNameWithoutExtension(path), image, new LabelMap(image.Width, image.Height, new byte[image.Width * image.Height]), path, "");
            var (prediction, _) = PanopticInference.Predict(model, post, transform, cfg.Test, sample, device);
            var (map, segments) = prediction.ToCocoFormat(classes);
            var file = sample.Id + ".png";
            PanopticIdMap.WriteRgbPng(Path.Combine(pngDir, file), map);
            if (overlay is { } alpha)
            {
                // Overlay: category colours (the config's palette by class index), outlines, thing ids (Visualization/PanopticOverlay).
                var palette = Palettes.For(cfg.Data, classes.NumClasses);
                ImageIO.WritePng(Path.Combine(Path.GetFullPath(outDir), sample.Id + "_overlay.png"), Visualization.PanopticOverlay.Draw(image, map, segments,
                    cat => palette[Math.Max(0, classes.ClassOf(cat)) % palette.Length], cat => classes.ClassOf(cat) is var k && k >= 0 && classes.IsThing[k], alpha));
            }
            images.Add(new JsonObject { ["id"] = sample.Id, ["file_name"] = Path.GetFileName(path), ["width"] = image.Width, ["height"] = image.Height });
            annotations.Add(new JsonObject
            {
                ["image_id"] = sample.Id, ["file_name"] = file,
                ["segments_info"] = new JsonArray(segments.Select(s => (JsonNode?)new JsonObject
                    { ["id"] = s.Id, ["category_id"] = s.CategoryId, ["area"] = s.Area, ["iscrowd"] = 0 }).ToArray()),
            });
        }
        Logging.ProgressReporting.Report("predict", inputs.Count, inputs.Count);
        var categories = new JsonArray(classes.Categories.Select(c => (JsonNode?)new JsonObject { ["id"] = c.Id, ["name"] = c.Name, ["isthing"] = c.IsThing ? 1 : 0 }).ToArray());
        AtomicFile.WriteAllText(Path.Combine(Path.GetFullPath(outDir), "panoptic.json"),
            new JsonObject { ["images"] = images, ["annotations"] = annotations, ["categories"] = categories }.ToJsonString());
        failures.ThrowIfAny(); // after panoptic.json is written for the images that could be read
        return images.Count;
    }
}
