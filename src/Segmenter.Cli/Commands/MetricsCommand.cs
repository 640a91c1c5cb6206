using System.CommandLine;
using Segmenter.Evaluation;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class MetricsCommand
{
    public static Command Create()
    {
        var cmd = new Command("metrics", "Evaluate predictions written by any tool.");
        var pred = new Option<string>("--pred") { Description = "Folder of predicted label PNGs (class indices; L or palette P mode).", Required = true };
        var gt = new Option<string>("--gt") { Description = "Folder of ground-truth label PNGs, matched by file stem.", Required = true };
        var numClasses = new Option<int>("--num-classes") { Description = "Number of classes.", Required = true };
        var ignore = new Option<int>("--ignore-index") { Description = "Ground-truth value to ignore.", DefaultValueFactory = _ => 255 };
        var reduceZero = new Option<bool>("--reduce-zero-label") { Description = "Ground truth 0 -> ignore, other labels minus 1 (ADE20K style)." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON here." };
        var semantic = new Command("semantic", "mIoU, mAcc, aAcc and per-class IoU/Acc exactly as MMSegmentation's IoUMetric computes them.")
        {
            pred, gt, numClasses, ignore, reduceZero, json,
        };
        semantic.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            int n = parse.GetValue(numClasses);
            if (n < 1) throw new SegmenterException($"--num-classes must be at least 1, got {n}", "--num-classes", "pass the number of classes");
            var result = FolderEvaluator.EvaluateSemantic(parse.GetValue(pred)!, parse.GetValue(gt)!, n, parse.GetValue(ignore), parse.GetValue(reduceZero));
            Console.WriteLine(result.FormatTable(Enumerable.Range(0, n).Select(i => $"class_{i}").ToList()));
            if (parse.GetValue(json) is { } path)
            {
                IO.AtomicFile.WriteAllText(path, result.ToJson());
                Log.Information("Wrote {Path}", Path.GetFullPath(path));
            }
            return 0;
        }));
        cmd.Subcommands.Add(semantic);
        cmd.Subcommands.Add(Panoptic());
        return cmd;
    }

    private static Command Panoptic()
    {
        var gtJson = new Option<string>("--gt-json") { Description = "Ground-truth COCO panoptic JSON.", Required = true };
        var gtFolder = new Option<string>("--gt-folder") { Description = "Ground-truth panoptic PNG folder (id = R + 256 G + 256^2 B).", Required = true };
        var predJson = new Option<string>("--pred-json") { Description = "Predicted COCO panoptic JSON.", Required = true };
        var predFolder = new Option<string>("--pred-folder") { Description = "Predicted panoptic PNG folder.", Required = true };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON here." };
        var cmd = new Command("panoptic", "PQ, SQ, RQ for All / Things / Stuff and per class, exactly as panopticapi computes them.")
        {
            gtJson, gtFolder, predJson, predFolder, json,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var result = PanopticEvaluator.Evaluate(parse.GetValue(gtJson)!, parse.GetValue(gtFolder)!, parse.GetValue(predJson)!, parse.GetValue(predFolder)!);
            Console.WriteLine(result.FormatTable());
            if (parse.GetValue(json) is { } path)
            {
                IO.AtomicFile.WriteAllText(path, result.ToJson());
                Log.Information("Wrote {Path}", Path.GetFullPath(path));
            }
            return 0;
        }));
        return cmd;
    }
}
