using System.CommandLine;
using Segmenter.Config;
using Segmenter.Export;
using Segmenter.IO;
using Segmenter.Training;
using Serilog;
using Segmenter.Checkpoints;

namespace Segmenter.Cli.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Weights to export: a training checkpoint (.ckpt), safetensors or a PyTorch .pth state dict.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output path (.safetensors or .onnx).", Required = true };
        var format = new Option<string>("--format") { Description = "safetensors (weights with PyTorch state-dict names) or onnx (eval-mode graph, opset 17, see docs/onnx.md).", DefaultValueFactory = _ => "safetensors" };
        var config = CommonOptions.Config(required: false);
        config.Description = "ONNX: config YAML of the model (default: the config stored in the checkpoint).";
        var cfgOptions = CommonOptions.CfgOptions();
        var size = new Option<string?>("--size") { Description = "ONNX: input size HxW (default: test.crop_size with test.mode slide, else the training crop size)." };
        var dynamic = new Option<bool>("--dynamic") { Description = "ONNX: any input height and width (symbolic dims) instead of a fixed size." };
        var cmd = new Command("export", "Write a checkpoint's model as safetensors with PyTorch state-dict names (loadable with safetensors.torch / torch), or as an ONNX model.")
        {
            checkpoint, output, format, config, cfgOptions, size, dynamic,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var path = parse.GetValue(checkpoint)!;
            switch (parse.GetValue(format))
            {
                case "safetensors":
                {
                    using var ckpt = WeightsReader.Read(path);
                    var weights = ckpt.Model;
                    SafeTensors.Save(parse.GetValue(output)!, weights, new Dictionary<string, string> { ["format"] = "pt", ["source"] = "segmenter" });
                    Log.Information("Wrote {Count} tensors to {Path}", weights.Count, Path.GetFullPath(parse.GetValue(output)!));
                    return 0;
                }
                case "onnx":
                {
                    ExperimentConfig cfg;
                    if (parse.GetValue(config) is { } cfgPath) cfg = CommonOptions.LoadConfig(cfgPath, parse.GetValue(cfgOptions));
                    else
                    {
                        using var ckpt = Checkpointer.Load(path);
                        if (ckpt.ConfigYaml.Length == 0)
                            throw new SegmenterException("the checkpoint stores no config", path, "pass the training config with --config");
                        cfg = ConfigLoader.LoadText(ckpt.ConfigYaml, path, parse.GetValue(cfgOptions));
                    }
                    var sizeText = parse.GetValue(size);
                    OnnxCheckpointExport.Run(cfg, path, parse.GetValue(output)!, sizeText is null ? null : OnnxExportOptions.ParseSize(sizeText), parse.GetValue(dynamic));
                    return 0;
                }
                default:
                    throw new SegmenterException($"unknown export format '{parse.GetValue(format)}'", "--format", "use safetensors or onnx");
            }
        }));
        return cmd;
    }
}
