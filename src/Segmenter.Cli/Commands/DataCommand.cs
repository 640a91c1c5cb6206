using System.CommandLine;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Serilog;

namespace Segmenter.Cli.Commands;

public static class DataCommand
{
    public static Command Create()
    {
        var cmd = new Command("data", "Dataset tools: generate tiny datasets in official layouts, validate a dataset.");
        cmd.Subcommands.Add(Synth());
        cmd.Subcommands.Add(Check());
        cmd.Subcommands.Add(Convert());
        cmd.Subcommands.Add(DataBrowseCommand.Create());
        return cmd;
    }

    private static Command Synth()
    {
        var format = new Option<string>("--format") { Description = "Layout to write: voc (Pascal VOC 2012 + SBD-aug style), cityscapes (leftImg8bit + gtFine labelIds), coco-panoptic, cityscapes-panoptic, or folder (images/ + masks/ + train.txt/val.txt, --classes classes).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output root (VOC: writes <out>/VOCdevkit/VOC2012; cityscapes and panoptic: <out>/cityscapes or <out>/coco).", Required = true };
        var count = new Option<int?>("--count") { Description = "Number of images (default 48; cityscapes 24)." };
        var size = new Option<int?>("--size") { Description = "Approximate image size in pixels (default 96); for cityscapes the image height (width = 2x, default 64)." };
        var seed = new Option<int>("--seed") { Description = "Seed; the same arguments give byte-identical files.", DefaultValueFactory = _ => 0 };
        var classes = new Option<int?>("--classes") { Description = "folder: number of classes, background included (default 5)." };
        var cmd = new Command("synth", "Write a small deterministic dataset (shapes of several classes on textured backgrounds) in an official layout.")
        {
            format, output, count, size, seed, classes,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var fmt = parse.GetValue(format)!;
            if (fmt == "cityscapes")
            {
                var cs = CityscapesSynth.Generate(parse.GetValue(output)!, parse.GetValue(count) ?? 24, parse.GetValue(size) ?? 64, parse.GetValue(seed));
                Log.Information("Wrote {Count} images ({Train} train, {Val} val) to {Root}", cs.Count, cs.TrainStems.Count, cs.ValStems.Count, cs.Root);
                return 0;
            }
            if (PanopticSynth.Formats.Contains(fmt))
            {
                var p = PanopticSynth.Generate(parse.GetValue(output)!, fmt, parse.GetValue(count) ?? 48, parse.GetValue(size) ?? 96, parse.GetValue(seed));
                Log.Information("Wrote {Count} images ({Train} {TrainSplit}, {Val} {ValSplit}; {Instances} instances) to {Root}",
                    p.Count, p.TrainIds.Count, p.TrainSplit, p.ValIds.Count, p.ValSplit, p.Instances, p.Root);
                return 0;
            }
            if (fmt == "folder")
            {
                var f = FolderSynth.Generate(parse.GetValue(output)!, parse.GetValue(classes) ?? 5, parse.GetValue(count) ?? 48, parse.GetValue(size) ?? 96, parse.GetValue(seed));
                Log.Information("Wrote {Count} images ({Train} train, {Val} val) to {Root}", f.Count, f.Train, f.Val, f.Root);
                return 0;
            }
            if (fmt != "voc")
                throw new SegmenterException($"unknown format '{fmt}'", "--format", "use voc, cityscapes, coco-panoptic, cityscapes-panoptic or folder");
            var report = VocSynth.Generate(parse.GetValue(output)!, parse.GetValue(count) ?? 48, parse.GetValue(size) ?? 96, parse.GetValue(seed));
            Log.Information("Wrote {Count} images ({Train} train, {Val} val) to {Root}", report.Count, report.TrainCount, report.ValCount, Path.GetFullPath(report.Voc2012Root));
            return 0;
        }));
        return cmd;
    }

    private static Command Convert()
    {
        var cmd = new Command("convert", "Convert a dataset's annotations into the form training reads.");
        var root = new Option<string>("--root") { Description = "The cityscapes folder (holding gtFine/ and leftImg8bit/).", Required = true };
        var keep = new Option<bool>("--keep-existing") { Description = "Keep *_labelTrainIds.png files that already exist." };
        var cityscapes = new Command("cityscapes", "Write *_gtFine_labelTrainIds.png (19 trainIds, 255 ignore) next to every *_gtFine_labelIds.png, " +
            "like cityscapesScripts createTrainIdLabelImgs (mapped from labelIds, which gives the same result as rasterising the polygons).")
        {
            root, keep,
        };
        cityscapes.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var result = CityscapesConverter.Convert(parse.GetValue(root)!, overwrite: !parse.GetValue(keep));
            Log.Information("Wrote {Written} labelTrainIds files under {Dir} ({Skipped} kept)", result.Written, result.GtFineDir, result.Skipped);
            return 0;
        }));
        cmd.Subcommands.Add(cityscapes);
        cmd.Subcommands.Add(DataBrowseCommand.ConvertMasks());
        return cmd;
    }

    private static Command Check()
    {
        var config = CommonOptions.Config();
        var cfgOptions = CommonOptions.CfgOptions();
        var split = new Option<string>("--split") { Description = "train, val or both.", DefaultValueFactory = _ => "both" };
        var classWeights = new Option<bool>("--class-weights") { Description = "Also print class weights from the train split's pixel frequencies (ENet 1/ln(1.02 + p)) as a config line." };
        var cmd = new Command("check", "Validate a dataset: missing files, unreadable images, size mismatches, label values; prints counts per class.")
        {
            config, cfgOptions, split, classWeights,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions));
            var which = parse.GetValue(split)!;
            if (which is not ("train" or "val" or "both"))
                throw new SegmenterException($"unknown split '{which}'", "--split", "use train, val or both");
            int problems = 0;
            foreach (var train in which == "both" ? new[] { true, false } : new[] { which == "train" })
            {
                var report = DataChecker.Check(cfg.Data, cfg.Model.NumClasses, train);
                Console.WriteLine($"== {(train ? "train" : "val")} split ==");
                Console.WriteLine(report.Format(ClassNames.For(cfg)));
                problems += report.Problems.Count;
                if (train && parse.GetValue(classWeights))
                    DataBrowseCommand.PrintClassWeights(report.PixelsPerClass, ClassNames.For(cfg));
            }
            if (which == "val" && parse.GetValue(classWeights))
                throw new SegmenterException("--class-weights reads the train split", "--split", "use --split train or both");
            return problems == 0 ? 0 : 3;
        }));
        return cmd;
    }
}
