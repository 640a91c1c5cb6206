using System.CommandLine;
using Segmenter.Inference;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var checkpoint = new Option<string>("--checkpoint", "-k") { Description = "Weights to run: a training checkpoint (.ckpt), safetensors or a PyTorch .pth state dict.", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "An image or a folder of images.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: <stem>.png (class indices) and <stem>_color.png (palette colours).", Required = true };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var tta = CommonOptions.Tta();
        var labelIds = new Option<bool>("--label-ids") { Description = "Cityscapes: also write labelIds/<stem>.png with trainIds mapped back to labelIds (official benchmark submission format)." };
        var cmd = new Command("predict", "Segment images with a checkpoint; writes index and colour PNGs at each input's original size.")
        {
            config, checkpoint, input, output, cfgOptions, device, tta, labelIds,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                [("train.device", parse.GetValue(device)), .. CommonOptions.TtaOverrides(parse.GetValue(tta))]);
            var inputs = Predictor.ListInputs(parse.GetValue(input)!);
            if (cfg.Model.Type == "panoptic_deeplab")
            {
                // Panoptic: --checkpoint is a .ckpt from training (or exported weights); categories come from the config's val json.
                var classes = Training.PanopticTrainer.CreateDataset(cfg, train: false).Classes;
                var (panModel, panDev) = Training.PanopticTrainer.LoadModel(cfg, parse.GetValue(checkpoint)!);
                using (panModel)
                {
                    int written = PanopticPredictor.Run(panModel, cfg, classes, parse.GetValue(input)!, parse.GetValue(output)!, panDev);
                    Log.Information("Wrote COCO panoptic predictions for {Count} images to {Out}", written, Path.GetFullPath(parse.GetValue(output)!));
                }
                return 0;
            }
            var (model, dev) = ModelLoader.Load(cfg, parse.GetValue(checkpoint)!);
            int n = Predictor.Run(model, cfg, parse.GetValue(input)!, parse.GetValue(output)!, dev, parse.GetValue(labelIds));
            Log.Information("Wrote predictions for {Count} of {Total} images to {Out}", n, inputs.Count, Path.GetFullPath(parse.GetValue(output)!));
            return 0;
        }));
        return cmd;
    }
}
