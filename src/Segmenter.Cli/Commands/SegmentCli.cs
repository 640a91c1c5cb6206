using System.CommandLine;

namespace Segmenter.Cli.Commands;

public static class SegmentCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Segmenter: train, evaluate and run semantic segmentation networks (DeepLabV3+, PSA) on TorchSharp.");
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(ConfigCommand.Create());
        root.Subcommands.Add(MetricsCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(DistSelfTestCommand.Create());
        return root;
    }
}
