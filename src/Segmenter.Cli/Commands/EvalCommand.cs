using System.CommandLine;
using Segmenter.Data;
using Segmenter.Evaluation;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Checkpoint (.ckpt) to evaluate.", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the results (per-class and summary) as JSON here." };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var cmd = new Command("eval", "Evaluate a checkpoint on the config's validation split: mIoU, mAcc, aAcc and a per-class table (MMSegmentation's definitions).")
        {
            config, checkpoint, output, cfgOptions, device, tta,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
            var dataset = DatasetFactory.Create(cfg.Data, train: false, numClasses: cfg.Model.NumClasses);
            var (model, dev) = CheckpointModel.Load(cfg, parse.GetValue(checkpoint)!);
            Log.Information("Evaluating {Count} images", dataset.Count);
            var result = SegmentationEvaluator.Evaluate(model, cfg, dataset, dev, (done, total) =>
            {
                if (done % 50 == 0 || done == total) Log.Information("[{Done}/{Total}]", done, total);
            });
            Console.WriteLine(result.FormatTable(ClassNames.For(cfg)));
            if (parse.GetValue(output) is { } outPath)
            {
                IO.AtomicFile.WriteAllText(outPath, result.ToJson());
                Log.Information("Wrote {Path}", Path.GetFullPath(outPath));
            }
            return 0;
        }));
        return cmd;
    }
}
