using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.IO;
using Segmenter.Models.Segmentors;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// `segment predict`: for each input image, writes `<stem>.png` (class indices, L mode) and
/// `<stem>_color.png` (the dataset palette) at the image's original size; optionally `labelIds/<stem>.png` (Cityscapes
/// labelIds for the official benchmark). Inference follows cfg.test (whole/slide, scales/flip TTA).
/// </summary>
public static class Predictor
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    public static IReadOnlyList<string> ListInputs(string input)
    {
        if (File.Exists(input)) return [input];
        if (Directory.Exists(input))
        {
            var files = Directory.EnumerateFiles(input)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new SegmenterException("no images (.jpg, .jpeg, .png, .bmp, .webp) in the input folder", input, "point --input at an image or a folder of images");
            return files;
        }
        throw new SegmenterException("input not found", input, "point --input at an image or a folder of images");
    }

    /// <summary>Sub-folder of the output that holds the Cityscapes labelId maps (one file per image, as the official evaluation expects).</summary>
    public const string LabelIdsFolder = "labelIds";

    /// <param name="labelIds">Also write <c>labelIds/&lt;stem&gt;.png</c> with Cityscapes trainIds mapped back to labelIds
    /// (the format of the official benchmark submission); needs a 19-class Cityscapes model.</param>
    /// <param name="overlay">Also write <c>&lt;stem&gt;_overlay.png</c>: the colour mask blended over the image with this opacity (0..1).</param>
    /// <remarks>Panoptic models write COCO panoptic predictions instead (<see cref="PanopticPredictor"/>; categories from the config's val json).</remarks>
    public static int Run(Segmentor model, ExperimentConfig cfg, string input, string outDir, Device device, bool labelIds = false, double? overlay = null)
    {
        if (model is PanopticDeepLab panoptic)
        {
            if (labelIds) throw new SegmenterException("--label-ids is for semantic Cityscapes models", "--label-ids", $"drop it for model.type {cfg.Model.Type}");
            return PanopticPredictor.Run(panoptic, cfg, Data.DatasetFactory.CreatePanoptic(cfg, train: false).Classes, input, outDir, device, overlay);
        }
        var inputs = ListInputs(input);
        if (labelIds && cfg.Model.NumClasses != CityscapesLabels.NumClasses)
            throw new SegmenterException($"--label-ids maps the 19 Cityscapes trainIds, but model.num_classes is {cfg.Model.NumClasses}",
                "--label-ids", "use it with a Cityscapes model (num_classes 19), or drop the flag");
        Directory.CreateDirectory(outDir);
        if (labelIds) Directory.CreateDirectory(Path.Combine(outDir, LabelIdsFolder));
        var palette = Palettes.For(cfg.Data, cfg.Model.NumClasses);
        var transform = new TestTransform(cfg.Data);
        model.eval();
        using var _ = no_grad();
        int n = 0;
        var failures = new InputFailures(inputs.Count, input);
        int seen = 0;
        foreach (var path in inputs)
        {
            Logging.ProgressReporting.Report("predict", seen++, inputs.Count);
            using var scope = NewDisposeScope();
            if (failures.Try(path, p => ImageIO.ReadRgb(p, cfg.Data.MaxImagePixels)) is not { } image) continue; // listed at the end; the others go on
            var item = transform.Apply(new Sample(Path.GetFileNameWithoutExtension(path), image,
                new LabelMap(image.Width, image.Height, new byte[image.Width * image.Height]), path, ""));
            var tensorImage = tensor(item.Image, new long[] { 1, 3, item.Height, item.Width }).to(device);
            var labels = SegmentationInference.Predict(model, tensorImage, cfg.Test, image.Height, image.Width, cfg.Model.DecodeHead.AlignCorners);
            var stem = Path.GetFileNameWithoutExtension(path);
            var map = new LabelMap(image.Width, image.Height, labels);
            ImageIO.WriteLabelPng(Path.Combine(outDir, stem + ".png"), map);
            ImageIO.WritePng(Path.Combine(outDir, stem + "_color.png"), Colorize(map, palette));
            if (overlay is { } alpha)
                ImageIO.WritePng(Path.Combine(outDir, stem + "_overlay.png"), Visualization.Panels.Overlay(image, map, palette, -1, alpha));
            if (labelIds)
                ImageIO.WriteLabelPng(Path.Combine(outDir, LabelIdsFolder, stem + ".png"), CityscapesLabels.ToLabelIds(map));
            n++;
            Log.Information("[{N}/{Total}] {Input} -> {Out}", n, inputs.Count, path, Path.Combine(outDir, stem + ".png"));
        }
        Logging.ProgressReporting.Report("predict", inputs.Count, inputs.Count);
        failures.ThrowIfAny();
        return n;
    }

    public static RgbImage Colorize(LabelMap map, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        var rgb = new byte[map.Width * map.Height * 3];
        for (int i = 0; i < map.Data.Length; i++)
        {
            var (r, g, b) = map.Data[i] < palette.Count ? palette[map.Data[i]] : ((byte)0, (byte)0, (byte)0);
            rgb[i * 3] = r; rgb[i * 3 + 1] = g; rgb[i * 3 + 2] = b;
        }
        return new RgbImage(map.Width, map.Height, rgb);
    }
}
