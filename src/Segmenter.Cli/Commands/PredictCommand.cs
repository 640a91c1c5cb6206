using System.CommandLine;
using Segmenter.Inference;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var checkpoint = new Option<string?>("--checkpoint", "-k") { Description = "Weights to run with engine torchsharp: a training checkpoint (.ckpt), safetensors or a PyTorch .pth state dict." };
        var engine = new Option<string>("--engine") { Description = "torchsharp (a checkpoint) or onnxruntime (an ONNX model from `segment export --format onnx`, see docs/onnx.md).", DefaultValueFactory = _ => "torchsharp" };
        var onnxModel = new Option<string?>("--model") { Description = "ONNX model to run (engine onnxruntime)." };
        var input = new Option<string>("--input", "-i") { Description = "An image or a folder of images.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: <stem>.png (class indices) and <stem>_color.png (palette colours).", Required = true };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var labelIds = new Option<bool>("--label-ids") { Description = "Cityscapes: also write labelIds/<stem>.png with trainIds mapped back to labelIds (official benchmark submission format)." };
        var overlay = new Option<double?>("--overlay") { Description = "Also write <stem>_overlay.png: the colour mask blended over the image with this opacity, e.g. 0.5 (panoptic: segment outlines and instance ids too)." };
        var cmd = new Command("predict", "Segment images with a checkpoint; writes index and colour PNGs at each input's original size.")
        {
            config, checkpoint, engine, onnxModel, input, output, cfgOptions, device, tta, labelIds, overlay,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
            var inputs = Predictor.ListInputs(parse.GetValue(input)!);
            if (parse.GetValue(overlay) is { } a && !(a >= 0 && a <= 1))
                throw new SegmenterException($"--overlay {a} is outside 0..1", "--overlay", "pass an opacity between 0 and 1, e.g. 0.5");
            if (parse.GetValue(engine) == "onnxruntime")
            {
                var modelPath = parse.GetValue(onnxModel)
                    ?? throw new SegmenterException("--engine onnxruntime needs the ONNX model", "--model", "pass --model model.onnx (written by `segment export --format onnx`)");
                int written = OnnxPredictor.Run(modelPath, cfg, parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(labelIds), parse.GetValue(overlay));
                Log.Information("ONNX Runtime: wrote predictions for {Count} of {Total} images to {Out}", written, inputs.Count, Path.GetFullPath(parse.GetValue(output)!));
                return 0;
            }
            if (parse.GetValue(engine) != "torchsharp")
                throw new SegmenterException($"unknown engine '{parse.GetValue(engine)}'", "--engine", "use torchsharp or onnxruntime");
            if (parse.GetValue(checkpoint) is null)
                throw new SegmenterException("--engine torchsharp needs a checkpoint", "--checkpoint", "pass --checkpoint work_dir/best_mIoU.ckpt, or --engine onnxruntime --model model.onnx");
            var (model, dev) = ModelLoader.Load(cfg, parse.GetValue(checkpoint)!, out cfg); // palette from the checkpoint's meta where the config has none
            using var _ = model;
            int n = Predictor.Run(model, cfg, parse.GetValue(input)!, parse.GetValue(output)!, dev, parse.GetValue(labelIds), parse.GetValue(overlay));
            Log.Information("Wrote predictions for {Count} of {Total} images to {Out}", n, inputs.Count, Path.GetFullPath(parse.GetValue(output)!));
            return 0;
        }));
        return cmd;
    }
}
