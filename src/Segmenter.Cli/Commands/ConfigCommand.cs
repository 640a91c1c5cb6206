using System.CommandLine;
using Segmenter.Config;
using Segmenter.Models;

namespace Segmenter.Cli.Commands;

public static class ConfigCommand
{
    public static Command Create()
    {
        var cmd = new Command("config", "Config tools.");
        var config = CommonOptions.Config();
        var cfgOptions = CommonOptions.CfgOptions();
        var summary = new Option<bool>("--model-summary") { Description = "Also build the model and print parameter counts per module." };
        var show = new Command("show", "Print the fully merged config (bases, overrides and every default the chosen types read).") { config, cfgOptions, summary };
        show.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions));
            Console.Write(ConfigWriter.ToYaml(cfg));
            if (parse.GetValue(summary))
            {
                using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
                Console.WriteLine();
                Console.WriteLine(ModelSummary.Format(model));
            }
            return 0;
        }));
        cmd.Subcommands.Add(show);
        return cmd;
    }
}
