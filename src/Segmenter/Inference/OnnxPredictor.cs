using Segmenter.Models.Segmentors;
using Segmenter.Models;
using Segmenter.Config;
using Segmenter.Training;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// `segment predict --engine onnxruntime`: the TorchSharp predictors' code (test pipeline, whole/slide, TTA,
/// resizing to the original size, PNG/COCO writing, panoptic post-processing) with an ONNX Runtime session in place of
/// the TorchSharp model. The test pipeline runs with mean 0 / std 1 because the graph normalises its input.
/// </summary>
public static class OnnxPredictor
{
    public static int Run(string modelPath, ExperimentConfig cfg, string input, string outDir, bool labelIds = false, double? overlay = null)
    {
        var ort = new OnnxRuntimeModel(modelPath);
        var raw = OnnxSegmentor.RawPixelConfig(cfg);
        bool panopticConfig = ModelFactory.TaskOf(cfg.Model) == SegmentationTask.Panoptic;
        if (ort.Task == "panoptic" || panopticConfig)
        {
            using (ort)
            {
                if (ort.Task != "panoptic" || !panopticConfig)
                    throw new SegmenterException($"the ONNX model is {ort.Task} but the config's model.type is {cfg.Model.Type}", modelPath,
                        "pass the config the model was trained with");
                var classes = Data.DatasetFactory.CreatePanoptic(cfg, train: false).Classes;
                return PanopticPredictor.Run(new OnnxPanopticModel(ort).Forward, raw, classes, input, outDir, CPU, overlay);
            }
        }
        using var model = new OnnxSegmentor(ort);
        if (model.NumClasses != cfg.Model.NumClasses)
            throw new SegmenterException($"the ONNX model has {model.NumClasses} classes but model.num_classes is {cfg.Model.NumClasses}", modelPath,
                "pass the config the model was trained with");
        return Predictor.Run(model, raw, input, outDir, CPU, labelIds, overlay);
    }
}
