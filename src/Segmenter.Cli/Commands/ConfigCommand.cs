using System.CommandLine;
using Segmenter.Config;
using Segmenter.Benchmarks;
using Segmenter.Models;

namespace Segmenter.Cli.Commands;

public static class ConfigCommand
{
    public static Command Create()
    {
        var cmd = new Command("config", "Config tools.");
        var config = CommonOptions.Config();
        var cfgOptions = CommonOptions.CfgOptions();
        var summary = new Option<bool>("--model-summary") { Description = "Also build the model and print parameter counts and multiply-adds (M-Adds) per module." };
        var inputSize = new Option<string?>("--input-size")
        {
            Description = "Input size HxW (or one side for a square) of the --model-summary M-Adds, e.g. the paper's 1025x1025; default: the crop size.",
        };
        var show = new Command("show", "Print the fully merged config (bases, overrides and every default the chosen types read).") { config, cfgOptions, summary, inputSize };
        show.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions));
            Console.Write(ConfigWriter.ToYaml(cfg));
            if (parse.GetValue(summary))
            {
                using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
                Console.WriteLine();
                Console.WriteLine(ModelSummary.Format(model));
                var (h, w) = parse.GetValue(inputSize) is { } size ? ParseInputSize(size) : (cfg.Data.TrainPipeline.CropSize.H, cfg.Data.TrainPipeline.CropSize.W);
                Console.WriteLine(FlopCounter.Count(model, cfg.Model, h, w).Format());
            }
            else if (parse.GetValue(inputSize) is not null)
                throw new SegmenterException("--input-size is given without --model-summary", "--input-size", "add --model-summary, or drop --input-size");
            return 0;
        }));
        cmd.Subcommands.Add(show);
        return cmd;
    }

    /// <summary>"HxW" or "N" (square) with positive integers.</summary>
    internal static (int H, int W) ParseInputSize(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0))
        {
            int h = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            return (h, parts.Length == 2 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : h);
        }
        throw new SegmenterException($"--input-size '{text}' is not HxW", "--input-size", "give two positive integers such as 1025x1025, or one for a square");
    }
}
