using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using Serilog;

namespace Segmenter.Export;

/// <summary>
/// `segment export --format onnx`: builds the config's model, loads a checkpoint into it and writes the ONNX graph.
/// The input size defaults to what the model sees at test time: test.crop_size with test.mode slide, otherwise the
/// training crop (data.train_pipeline.crop_size); --dynamic makes height and width symbolic.
/// </summary>
public static class OnnxCheckpointExport
{
    public static (int H, int W) DefaultSize(ExperimentConfig cfg)
    {
        return cfg.Test.Mode == "slide" ? cfg.Test.CropSize : cfg.Data.TrainPipeline.CropSize;
    }

    public static void Run(ExperimentConfig cfg, string checkpoint, string outPath, (int H, int W)? size, bool dynamic)
    {
        var (h, w) = size ?? DefaultSize(cfg);
        var options = new OnnxExportOptions { Height = h, Width = w, Dynamic = dynamic, Mean = cfg.Data.Mean, Std = cfg.Data.Std };
        Onnx.ModelProto proto;
        if (Models.ModelFactory.TaskOf(cfg.Model) == Models.Segmentors.SegmentationTask.Panoptic)
        {
            var (model, _) = Inference.ModelLoader.LoadPanoptic(cfg, checkpoint);
            using (model) proto = OnnxExporter.Export(model, options);
        }
        else
        {
            using var model = Inference.ModelLoader.Load(cfg, checkpoint).Model;
            if (model is not EncoderDecoder ed)
                throw new SegmenterException($"model type '{cfg.Model.Type}' has no ONNX export", "model.type", "use encoder_decoder or panoptic_deeplab");
            proto = OnnxExporter.Export(ed, options);
        }
        OnnxExporter.Save(proto, outPath);
        Log.Information("Wrote ONNX opset {Opset} ({Nodes} nodes, input image float32 [N,3,{H},{W}] RGB 0..255) to {Path}",
            OnnxGraphBuilder.Opset, proto.Graph.Node.Count, dynamic ? "H" : h.ToString(), dynamic ? "W" : w.ToString(), Path.GetFullPath(outPath));
    }
}
