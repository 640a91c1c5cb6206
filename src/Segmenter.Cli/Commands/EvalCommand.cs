using System.CommandLine;
using Segmenter.Inference;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.Training;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Weights to evaluate: a training checkpoint (.ckpt), safetensors or a PyTorch .pth state dict.", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the results (per-class and summary) as JSON here." };
        var predDir = new Option<string?>("--pred-dir") { Description = "Panoptic models: also write COCO panoptic predictions (panoptic_pred.json + panoptic_pred/*.png) here." };
        var confusion = new Option<string?>("--confusion")
        {
            Description = "Also write the pixel confusion matrix (rows ground truth, columns prediction) as confusion.json and confusion.png into this folder (default: the checkpoint's folder).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var showDir = new Option<string?>("--show-dir") { Description = "Write image | ground truth | prediction | error map panels (and images.csv with per-image IoU) here." };
        var worst = new Option<int?>("--worst") { Description = "With --show-dir: keep only the N images with the lowest IoU, worst first." };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var cmd = new Command("eval", "Evaluate a checkpoint on the config's validation split: mIoU, mAcc, aAcc and a per-class table (MMSegmentation's definitions).")
        {
            config, checkpoint, output, predDir, confusion, showDir, worst, cfgOptions, device, tta,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
            // Data before the model: a missing validation split fails before any weights are read.
            var evaluator = ValidationEvaluators.Create(cfg);
            var (model, dev) = ModelLoader.Load(cfg, parse.GetValue(checkpoint)!, out var resolved);
            using var _ = model;
            // Class names and palette from the checkpoint's meta where the config has none: the evaluator is made again
            // with them (listing the split again costs little; the images are read during evaluation).
            if (!ReferenceEquals(resolved, cfg)) evaluator = ValidationEvaluators.Create(cfg = resolved);
            Log.Information("Evaluating {Count} images", evaluator.Count);
            var result = evaluator.Evaluate(model, dev, new EvaluationOptions
            {
                ConfusionDir = parse.GetResult(confusion) is null ? null
                    : parse.GetValue(confusion) ?? Path.GetDirectoryName(Path.GetFullPath(parse.GetValue(checkpoint)!))!,
                ShowDir = parse.GetValue(showDir), Worst = parse.GetValue(worst), PredictionDir = parse.GetValue(predDir),
            });
            Console.WriteLine(result.FormatTable(evaluator.ClassNames));
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
