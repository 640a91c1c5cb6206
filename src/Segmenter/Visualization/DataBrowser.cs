using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Visualization;

/// <summary>
/// `segment data browse`: what the model is fed, as MMSegmentation's tools/misc/browse_dataset.py — grids of samples
/// (grid_000.png, …; cols × rows tiles each) with the label coloured over the image at 50 % and the sample id on top.
/// Before the pipeline: the decoded files. After it (--after-pipeline): the train pipeline's output (resize, crop with
/// cat_max_ratio, flip, photometric distortion, pad; padding shows as ignore) or the test pipeline's for val, with the
/// normalisation undone; sample i uses Random(seed + i), so a listing is reproducible.
/// </summary>
public static class DataBrowser
{
    public static IReadOnlyList<string> Write(ExperimentConfig cfg, bool train, bool afterPipeline, string outDir, int count = 16,
        int cols = 4, int tile = 256, int seed = 0)
    {
        var dataset = DatasetFactory.Create(cfg.Data, train, numClasses: cfg.Model.NumClasses);
        var palette = Palettes.For(cfg.Data, cfg.Model.NumClasses);
        ISampleTransform? transform = !afterPipeline ? null
            : train ? new TrainTransform(cfg.Data.TrainPipeline, cfg.Data) : new TestTransform(cfg.Data);
        int n = Math.Min(count, dataset.Count);
        int perGrid = cols * cols;
        var written = new List<string>();
        Directory.CreateDirectory(outDir);
        var tiles = new List<RgbImage>();
        for (int i = 0; i < n; i++)
        {
            var sample = dataset.Load(i);
            var (image, label) = (sample.Image, sample.Label);
            if (transform is not null)
            {
                var t = transform.Apply(sample, new Random(seed + i));
                image = Denormalize(t.Image, t.Height, t.Width, cfg.Data.Mean, cfg.Data.Std);
                label = t.Label.Length == t.Height * t.Width ? new LabelMap(t.Width, t.Height, t.Label)
                    : ResizeLabel(new LabelMap(t.OrigWidth, t.OrigHeight, t.Label), t.Width, t.Height); // test pipeline keeps the original label
            }
            var tileImage = Panels.FitWithin(Panels.Overlay(image, label, palette, cfg.Data.IgnoreIndex, 0.5), tile);
            float size = Math.Clamp(tileImage.Width / (0.62f * Math.Max(4, sample.Id.Length)), 6, 11); // the id fits the tile
            tiles.Add(TextStamp.Draw(tileImage, [(sample.Id, tileImage.Width / 2f, size)], size));
            if (tiles.Count == perGrid || i == n - 1)
            {
                var rows = tiles.Chunk(cols).Select(r => Panels.SideBySide(r)).ToList();
                var path = Path.Combine(outDir, $"grid_{written.Count:D3}.png");
                ImageIO.WritePng(path, Panels.Stacked(rows));
                written.Add(path);
                tiles.Clear();
            }
        }
        return written;
    }

    /// <summary>CHW normalised floats back to 8-bit RGB: v·std + mean, clamped.</summary>
    public static RgbImage Denormalize(float[] chw, int h, int w, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        var rgb = new byte[h * w * 3];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < h * w; i++)
                rgb[i * 3 + c] = (byte)Math.Clamp(Math.Round(chw[c * h * w + i] * std[c] + mean[c]), 0, 255);
        return new RgbImage(w, h, rgb);
    }

    private static LabelMap ResizeLabel(LabelMap label, int w, int h) =>
        new(w, h, ImageOps.ResizeNearest(label.Data, label.Width, label.Height, w, h));
}
