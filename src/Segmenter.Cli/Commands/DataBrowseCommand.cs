using System.CommandLine;
using Segmenter.Data;
using Segmenter.Visualization;
using Serilog;

namespace Segmenter.Cli.Commands;

/// <summary>The picture-making data tools: `data browse`, `data convert masks`, and the class-weight printout of `data check`.</summary>
public static class DataBrowseCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var cfgOptions = CommonOptions.CfgOptions();
        var split = new Option<string>("--split") { Description = "train or val.", DefaultValueFactory = _ => "train" };
        var after = new Option<bool>("--after-pipeline") { Description = "Show samples after the data pipeline (augmentation for train), as the model sees them." };
        var output = new Option<string>("--out", "-o") { Description = "Folder for grid_000.png, grid_001.png, ...", Required = true };
        var count = new Option<int>("--count") { Description = "Number of samples (default 16).", DefaultValueFactory = _ => 16 };
        var cmd = new Command("browse", "Write grids of samples with their labels coloured over the image, before or after the pipeline.")
        {
            config, cfgOptions, split, after, output, count,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions));
            var which = parse.GetValue(split)!;
            if (which is not ("train" or "val")) throw new SegmenterException($"unknown split '{which}'", "--split", "use train or val");
            if (parse.GetValue(count) < 1) throw new SegmenterException("--count must be >= 1", "--count", "pass how many samples to draw");
            var files = DataBrowser.Write(cfg, which == "train", parse.GetValue(after), parse.GetValue(output)!, parse.GetValue(count));
            foreach (var f in files) Console.WriteLine(f);
            return 0;
        }));
        return cmd;
    }

    public static Command ConvertMasks()
    {
        var palette = new Option<string>("--palette") { Description = $"{string.Join(", ", MaskConverter.PaletteNames)} (a data.type's colours), or a file with one 'r g b' line (or a JSON [r, g, b]) per class index.", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "A colour mask PNG or a folder of them.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the class-index PNGs (same file names).", Required = true };
        var cmd = new Command("masks", "Turn RGB colour masks into class-index PNGs by exact palette lookup; a colour not in the palette is an error.")
        {
            palette, input, output,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var spec = parse.GetValue(palette)!;
            int n = MaskConverter.Convert(parse.GetValue(input)!, parse.GetValue(output)!, MaskConverter.LoadPalette(spec), spec);
            Log.Information("Wrote {Count} index masks to {Out}", n, Path.GetFullPath(parse.GetValue(output)!));
            return 0;
        }));
        return cmd;
    }

    public static void PrintClassWeights(long[] pixelsPerClass, IReadOnlyList<string> classNames)
    {
        var w = ClassWeights.Enet(pixelsPerClass);
        Console.WriteLine("Class weights from train pixel frequencies (ENet: 1 / ln(1.02 + p)):");
        for (int c = 0; c < w.Length; c++)
            Console.WriteLine($"  {(c < classNames.Count ? classNames[c] : $"class_{c}"),-20} p={pixelsPerClass[c] / (double)Math.Max(1, pixelsPerClass.Sum()):F4}  w={w[c]:F4}");
        var (yaml, option) = ClassWeights.Format(w);
        Console.WriteLine("Paste into the config:\n" + yaml + "\nor pass --cfg-options " + option);
    }
}
