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
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var cmd = new Command("eval", "Evaluate a checkpoint on the config's validation split: mIoU, mAcc, aAcc and a per-class table (MMSegmentation's definitions).")
        {
            config, checkpoint, output, predDir, cfgOptions, device, tta,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
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
