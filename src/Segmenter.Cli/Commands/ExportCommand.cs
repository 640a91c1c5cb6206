using System.CommandLine;
using Segmenter.IO;
using Segmenter.Training;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Weights to export: a training checkpoint (.ckpt), safetensors or a PyTorch .pth state dict.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .safetensors path.", Required = true };
        var cmd = new Command("export", "Write a checkpoint's model weights as safetensors with PyTorch state-dict names (loadable with safetensors.torch / torch).")
        {
            checkpoint, output,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            using var ckpt = WeightsReader.Read(parse.GetValue(checkpoint)!);
            var weights = ckpt.Model;
            SafeTensors.Save(parse.GetValue(output)!, weights, new Dictionary<string, string> { ["format"] = "pt", ["source"] = "segmenter" });
            Log.Information("Wrote {Count} tensors to {Path}", weights.Count, Path.GetFullPath(parse.GetValue(output)!));
            return 0;
        }));
        return cmd;
    }
}
