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
            if (cfg.Model.Type == "panoptic_deeplab" && (parse.GetResult(confusion) is not null || parse.GetValue(showDir) is not null))
                throw new SegmenterException("--confusion and --show-dir are for semantic models", "--confusion",
                    "drop them for panoptic_deeplab (use --pred-dir for its predictions)");
            if (cfg.Model.Type == "panoptic_deeplab")
            {
                // Panoptic: --checkpoint is a .ckpt from training (or exported safetensors weights); PQ/SQ/RQ plus the semantic branch's mIoU.
                var panSet = PanopticTrainer.CreateDataset(cfg, train: false);
                var (panModel, panDev) = PanopticTrainer.LoadModel(cfg, parse.GetValue(checkpoint)!);
                using (panModel)
                {
                    var r = PanopticInference.Evaluate(panModel, cfg, panSet, panDev, predictionDir: parse.GetValue(predDir));
                    Console.WriteLine(r.Panoptic.FormatTable());
                    Console.WriteLine($"mIoU (semantic branch): {100 * r.Semantic.MIoU:F2}");
                    if (parse.GetValue(output) is { } panOut) IO.AtomicFile.WriteAllText(panOut, r.Panoptic.ToJson());
                }
                return 0;
            }
            var dataset = DatasetFactory.Create(cfg.Data, train: false, numClasses: cfg.Model.NumClasses);
            var (model, dev) = ModelLoader.Load(cfg, parse.GetValue(checkpoint)!);
            Log.Information("Evaluating {Count} images", dataset.Count);
            var classNames = ClassNames.For(cfg);
            string? confusionDir = parse.GetResult(confusion) is null ? null
                : parse.GetValue(confusion) ?? Path.GetDirectoryName(Path.GetFullPath(parse.GetValue(checkpoint)!))!;
            var matrix = confusionDir is null ? null : new ConfusionMatrix(cfg.Model.NumClasses, cfg.Data.IgnoreIndex);
            if (parse.GetValue(worst) is < 1) throw new SegmenterException("--worst must be >= 1", "--worst", "pass the number of worst images to keep");
            var show = parse.GetValue(showDir) is { } sd
                ? new Visualization.ShowDirWriter(sd, dataset, cfg.Model.NumClasses, cfg.Data.IgnoreIndex, Palettes.For(cfg.Data, cfg.Model.NumClasses), parse.GetValue(worst))
                : null;
            var result = SegmentationEvaluator.Evaluate(model, cfg, dataset, dev, (done, total) =>
            {
                if (done % 50 == 0 || done == total) Log.Information("[{Done}/{Total}]", done, total);
            }, matrix is null && show is null ? null : (i, item, _, pred) => { matrix?.Update(pred, item.Label); show?.OnImage(i, item, pred); });
            if (matrix is not null)
            {
                var (json, png) = Visualization.ConfusionOutput.Write(confusionDir!, matrix, classNames);
                Log.Information("Wrote {Json} and {Png}", json, png);
            }
            if (show is not null) Log.Information("Wrote {Count} panels and images.csv to {Dir}", show.Finish(), Path.GetFullPath(parse.GetValue(showDir)!));
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
