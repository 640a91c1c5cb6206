using System.CommandLine;
using Segmenter.Inference;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Checkpoint (.ckpt) to run.", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "An image or a folder of images.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: <stem>.png (class indices) and <stem>_color.png (palette colours).", Required = true };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var labelIds = new Option<bool>("--label-ids") { Description = "Cityscapes: also write labelIds/<stem>.png with trainIds mapped back to labelIds (official benchmark submission format)." };
        var overlay = new Option<double?>("--overlay") { Description = "Also write <stem>_overlay.png: the colour mask blended over the image with this opacity, e.g. 0.5 (panoptic: segment outlines and instance ids too)." };
        var cmd = new Command("predict", "Segment images with a checkpoint; writes index and colour PNGs at each input's original size.")
        {
            config, checkpoint, input, output, cfgOptions, device, tta, labelIds, overlay,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
            var inputs = Predictor.ListInputs(parse.GetValue(input)!);
            if (parse.GetValue(overlay) is { } a && !(a >= 0 && a <= 1))
                throw new SegmenterException($"--overlay {a} is outside 0..1", "--overlay", "pass an opacity between 0 and 1, e.g. 0.5");
            if (cfg.Model.Type == "panoptic_deeplab")
            {
                // Panoptic: --checkpoint is a .ckpt from training (or exported weights); categories come from the config's val json.
                var classes = Training.PanopticTrainer.CreateDataset(cfg, train: false).Classes;
                var (panModel, panDev) = Training.PanopticTrainer.LoadModel(cfg, parse.GetValue(checkpoint)!);
                using (panModel)
                {
                    int written = PanopticPredictor.Run(panModel, cfg, classes, parse.GetValue(input)!, parse.GetValue(output)!, panDev, parse.GetValue(overlay));
                    Log.Information("Wrote COCO panoptic predictions for {Count} images to {Out}", written, Path.GetFullPath(parse.GetValue(output)!));
                }
                return 0;
            }
            var (model, dev) = CheckpointModel.Load(cfg, parse.GetValue(checkpoint)!);
            int n = Predictor.Run(model, cfg, parse.GetValue(input)!, parse.GetValue(output)!, dev, parse.GetValue(labelIds), parse.GetValue(overlay));
            Log.Information("Wrote predictions for {Count} of {Total} images to {Out}", n, inputs.Count, Path.GetFullPath(parse.GetValue(output)!));
            return 0;
        }));
        return cmd;
    }
}
