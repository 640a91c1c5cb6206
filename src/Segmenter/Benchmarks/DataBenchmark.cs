using System.Diagnostics;
using System.Globalization;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Benchmarks;

/// <summary>The training data pipeline's speed on one core, split into its steps (milliseconds per image).</summary>
public sealed record DataBenchResult(int Images, int Width, int Height, double ImagesPerSecondPerCore, double DecodeImageMs,
    double DecodeLabelMs, double TransformMs, int Rounds, TransformStepMs Steps);

/// <summary>The transforms' time split into their steps (milliseconds per image).</summary>
public sealed record TransformStepMs(double RescaleCrop, double Flip, double PhotoMetric, double NormalizePad);

/// <summary>
/// `segment bench --data`: what one loader worker (one core) does per training sample on VOC-sized photos (500×375
/// JPEG + palette PNG label): decode both, then the config's train pipeline (random rescale, crop with cat_max_ratio,
/// flip, photometric distortion, normalise, pad), timed step by step on one thread. scripts/bench_data_compare.sh
/// runs the same steps with PIL + torchvision transforms (scripts/bench_data_pil.py) on the same files.
/// </summary>
public static class DataBenchmark
{
    /// <summary>Writes <paramref name="count"/> deterministic VOC-sized JPEGs (smooth colours, edges and noise, so they
    /// compress like photos, ~30-60 kB) and index PNG labels into images/ and labels/ of <paramref name="dir"/>.</summary>
    public static void WriteImages(string dir, int count, int width = 500, int height = 375)
    {
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Directory.CreateDirectory(Path.Combine(dir, "labels"));
        for (int n = 0; n < count; n++)
        {
            var rng = new Random(1000 + n);
            var rgb = new byte[width * height * 3];
            var label = new byte[width * height];
            double fx = 0.01 + 0.03 * rng.NextDouble(), fy = 0.01 + 0.03 * rng.NextDouble();
            int cx = rng.Next(width), cy = rng.Next(height), r = 40 + rng.Next(100), cls = 1 + rng.Next(20);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                    int i = (y * width + x) * 3;
                    double s = Math.Sin(x * fx + n) * Math.Cos(y * fy), t = rng.Next(24);
                    rgb[i] = (byte)Math.Clamp(120 + 80 * s + t + (inside ? 60 : 0), 0, 255);
                    rgb[i + 1] = (byte)Math.Clamp(110 + 70 * Math.Cos(x * fy) + t, 0, 255);
                    rgb[i + 2] = (byte)Math.Clamp(100 + 90 * s * s + t - (inside ? 50 : 0), 0, 255);
                    label[y * width + x] = inside ? (byte)cls : (byte)0;
                }
            var stem = n.ToString("D4", CultureInfo.InvariantCulture);
            ImageIO.WriteJpeg(Path.Combine(dir, "images", stem + ".jpg"), new RgbImage(width, height, rgb), quality: 90);
            ImageIO.WriteLabelPng(Path.Combine(dir, "labels", stem + ".png"), new LabelMap(width, height, label), Palettes.Voc());
        }
    }

    /// <summary>Runs the pipeline over the images of <paramref name="dir"/> (<see cref="WriteImages"/>) for
    /// <paramref name="rounds"/> passes on the calling thread.</summary>
    public static DataBenchResult Run(ExperimentConfig cfg, string dir, int rounds)
    {
        var images = Directory.GetFiles(Path.Combine(dir, "images"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
        if (images.Length == 0)
            throw new SegmenterException("no .jpg images", Path.Combine(dir, "images"), "write them first (DataBenchmark.WriteImages)");
        var transform = new TrainTransform(cfg.Data.TrainPipeline, cfg.Data);
        var rng = new Random(cfg.Train.Seed);
        long decodeImage = 0, decodeLabel = 0, transformTicks = 0;
        var steps = new TransformStepTimes();
        int samples = 0, width = 0, height = 0;
        // One untimed pass first: file cache, JIT, Skia's codecs.
        long maxPixels = cfg.Data.MaxImagePixels;
        foreach (var path in images.Take(2)) transform.Apply(Load(path, maxPixels), rng);
        for (int r = 0; r < Math.Max(1, rounds); r++)
            foreach (var path in images)
            {
                long t0 = Stopwatch.GetTimestamp();
                var image = ImageIO.ReadRgb(path, maxPixels);
                long t1 = Stopwatch.GetTimestamp();
                var labelPath = LabelPathOf(path);
                var label = ImageIO.ReadLabel(labelPath, maxPixels);
                long t2 = Stopwatch.GetTimestamp();
                var sample = transform.Apply(new Sample(Path.GetFileNameWithoutExtension(path), image, label, path, labelPath), rng, steps);
                long t3 = Stopwatch.GetTimestamp();
                GC.KeepAlive(sample);
                decodeImage += t1 - t0; decodeLabel += t2 - t1; transformTicks += t3 - t2;
                samples++;
                (width, height) = (image.Width, image.Height);
            }
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / samples;
        double total = Ms(decodeImage) + Ms(decodeLabel) + Ms(transformTicks);
        return new DataBenchResult(samples, width, height, 1000.0 / total, Ms(decodeImage), Ms(decodeLabel), Ms(transformTicks), Math.Max(1, rounds),
            new TransformStepMs(Ms(steps.RescaleCrop), Ms(steps.Flip), Ms(steps.PhotoMetric), Ms(steps.NormalizePad)));
    }

    private static string LabelPathOf(string imagePath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(imagePath))!, "labels", Path.GetFileNameWithoutExtension(imagePath) + ".png");

    private static Sample Load(string path, long maxPixels) =>
        new(Path.GetFileNameWithoutExtension(path), ImageIO.ReadRgb(path, maxPixels), ImageIO.ReadLabel(LabelPathOf(path), maxPixels), path, LabelPathOf(path));

    public static string Format(DataBenchResult r)
    {
        double total = r.DecodeImageMs + r.DecodeLabelMs + r.TransformMs;
        string Share(double ms) => (100 * ms / total).ToString("F0", CultureInfo.InvariantCulture) + " %";
        return string.Create(CultureInfo.InvariantCulture,
            $"train pipeline on one core, {r.Images} samples of {r.Width}x{r.Height} ({r.Rounds} rounds): {r.ImagesPerSecondPerCore:F1} images/s\n" +
            $"  decode JPEG   {r.DecodeImageMs,7:F2} ms  {Share(r.DecodeImageMs),5}  ({TurboJpeg.Decoder})\n" +
            $"  decode label  {r.DecodeLabelMs,7:F2} ms  {Share(r.DecodeLabelMs),5}\n" +
            $"  transforms    {r.TransformMs,7:F2} ms  {Share(r.TransformMs),5}\n" +
            $"    rescale + crop     {r.Steps.RescaleCrop,7:F2} ms  (label nearest, cat_max_ratio tries, image bilinear in the window)\n" +
            $"    flip               {r.Steps.Flip,7:F2} ms\n" +
            $"    photometric        {r.Steps.PhotoMetric,7:F2} ms  (brightness, contrast, saturation, hue)\n" +
            $"    normalise + pad    {r.Steps.NormalizePad,7:F2} ms");
    }

    public static string ToJson(DataBenchResult r) => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["images"] = r.Images, ["width"] = r.Width, ["height"] = r.Height, ["images_per_s_per_core"] = r.ImagesPerSecondPerCore,
        ["decode_image_ms"] = r.DecodeImageMs, ["decode_label_ms"] = r.DecodeLabelMs, ["transform_ms"] = r.TransformMs,
        ["rescale_crop_ms"] = r.Steps.RescaleCrop, ["flip_ms"] = r.Steps.Flip, ["photometric_ms"] = r.Steps.PhotoMetric,
        ["normalize_pad_ms"] = r.Steps.NormalizePad, ["jpeg_decoder"] = TurboJpeg.Decoder,
    });
}
