using Segmenter.IO;

namespace Segmenter.Data.Synth;

/// <summary>What <see cref="CityscapesSynth.Generate"/> wrote: the cityscapes root and the image stems per split.</summary>
public sealed record CityscapesSynthReport(string Root, IReadOnlyList<string> TrainStems, IReadOnlyList<string> ValStems,
    IReadOnlyDictionary<int, long> PixelsPerLabelId)
{
    public int Count => TrainStems.Count + ValStems.Count;
}

/// <summary>
/// Writes a tiny synthetic Cityscapes set in the official layout (REFERENCE 10.2), for smoke tests and demos without
/// the real data: <c>cityscapes/leftImg8bit/{train,val}/&lt;city&gt;/&lt;city&gt;_000000_&lt;frame&gt;_leftImg8bit.png</c> and
/// <c>cityscapes/gtFine/{train,val}/&lt;city&gt;/..._gtFine_{labelIds,color}.png</c> with REAL labelIds (sky 23, building 11,
/// vegetation 21, sidewalk 8, road 7, pole 17, traffic sign 20, person 24, car 26, and the void ids ego vehicle 1 and
/// static 4, which map to trainId 255). Like the official download there are no *_labelTrainIds.png: the loader
/// maps labelIds on the fly, or run `segment data convert cityscapes`. Street-like scenes (sky, skyline, trees,
/// sidewalk, road, cars, people, poles) with one colour and texture per class, so a small network learns them fast.
/// The output depends only on the arguments (no clock), byte for byte.
/// </summary>
public static class CityscapesSynth
{
    private static readonly string[] TrainCities = ["aachen", "bochum", "bremen"];
    private static readonly string[] ValCities = ["frankfurt", "lindau", "munster"];

    // labelIds drawn (labels.py).
    private const byte EgoVehicle = 1, Static = 4, Road = 7, Sidewalk = 8, Building = 11, Pole = 17, TrafficSign = 20,
        Vegetation = 21, Sky = 23, Person = 24, Car = 26;

    /// <summary>
    /// Generates <paramref name="count"/> images of <paramref name="height"/> × 2·height px (the Cityscapes 1:2 aspect)
    /// under <c>outDir/cityscapes</c>, a <paramref name="valFraction"/> share of them in val. Existing files with the same
    /// names are overwritten; nothing else is deleted.
    /// </summary>
    public static CityscapesSynthReport Generate(string outDir, int count = 24, int height = 64, int seed = 0, double valFraction = 0.25)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be at least 2 (one train, one val)");
        if (height is < 16 or > 2048) throw new ArgumentOutOfRangeException(nameof(height), height, "height must be 16..2048");
        if (valFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "valFraction must be in (0, 1)");
        var root = Path.GetFullPath(Path.Combine(outDir, "cityscapes"));
        int valCount = Math.Clamp((int)Math.Round(count * valFraction), 1, count - 1);
        var train = new List<string>();
        var val = new List<string>();
        var pixels = new SortedDictionary<int, long>();
        for (int i = 0; i < count; i++)
        {
            Logging.ProgressReporting.Report("synth", i, count);
            bool isVal = i >= count - valCount;
            int k = isVal ? i - (count - valCount) : i;
            var cities = isVal ? ValCities : TrainCities;
            var city = cities[k % cities.Length];
            var stem = $"{city}_000000_{19 + i:D6}";
            var split = isVal ? "val" : "train";
            var rng = new Random(MixSeed(seed, i));
            var (image, labelIds) = RenderOne(rng, 2 * height, height);
            foreach (var v in labelIds.Data) pixels[v] = pixels.GetValueOrDefault(v) + 1;
            var imgDir = Path.Combine(root, "leftImg8bit", split, city);
            var gtDir = Path.Combine(root, "gtFine", split, city);
            Directory.CreateDirectory(imgDir);
            Directory.CreateDirectory(gtDir);
            ImageIO.WritePng(Path.Combine(imgDir, stem + "_leftImg8bit.png"), image);
            ImageIO.WriteLabelPng(Path.Combine(gtDir, stem + "_gtFine_labelIds.png"), labelIds);
            ImageIO.WritePng(Path.Combine(gtDir, stem + "_gtFine_color.png"), CityscapesLabels.Colorize(labelIds));
            (isVal ? val : train).Add(stem);
        }
        Logging.ProgressReporting.Report("synth", count, count);
        return new CityscapesSynthReport(root, train, val, pixels);
    }

    private static int MixSeed(int seed, int index)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(index + 1) * 0xD1B54A32D192ED03UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    private static (RgbImage Image, LabelMap LabelIds) RenderOne(Random rng, int w, int h)
    {
        var label = new byte[w * h];
        void Rect(int x0, int y0, int x1, int y1, byte id)
        {
            for (int y = Math.Max(0, y0); y < Math.Min(h, y1); y++)
                for (int x = Math.Max(0, x0); x < Math.Min(w, x1); x++) label[y * w + x] = id;
        }

        // Sky above a skyline of buildings and trees; sidewalk band at the horizon; road below; ego vehicle at the bottom.
        int horizon = (int)(h * (0.4 + 0.1 * rng.NextDouble()));
        int sidewalk = horizon + Math.Max(3, (int)(h * (0.15 + 0.07 * rng.NextDouble())));
        int ego = h - Math.Max(1, (int)(h * (0.05 + 0.05 * rng.NextDouble())));
        Rect(0, 0, w, horizon, Sky);
        for (int x = 0; x < w;)
        {
            int bw = Math.Max(3, (int)(w * (0.08 + 0.12 * rng.NextDouble())));
            int top = (int)(h * (0.08 + 0.25 * rng.NextDouble()));
            if (rng.Next(4) == 0)
            {
                // a tree: trunk-less round crown over the block
                var crown = new ShapeRaster.Shape(ShapeRaster.Kind.Ellipse, x + bw / 2.0, (top + horizon) / 2.0, bw / 2.0 + 1, (horizon - top) / 2.0 + 1, 0);
                ShapeRaster.Fill(label, w, horizon, crown, Vegetation);
            }
            else Rect(x, top, x + bw, horizon, Building);
            x += bw;
        }
        Rect(0, horizon, w, sidewalk, Sidewalk);
        Rect(0, sidewalk, w, h, Road);
        if (rng.Next(2) == 0)
        {
            int sx = rng.Next(w - 4), sw = Math.Max(2, w / 24);
            Rect(sx, horizon - Math.Max(2, h / 16), sx + sw, sidewalk, Static);
        }
        for (int p = rng.Next(1, 3); p > 0; p--)
        {
            int px = rng.Next(w), top = (int)(h * (0.15 + 0.15 * rng.NextDouble())), pw = Math.Max(2, w / 32);
            Rect(px, top, px + pw, sidewalk, Pole);
            if (rng.Next(2) == 0) Rect(px - pw, top - Math.Max(3, h / 8), px + 2 * pw, top, TrafficSign);
        }
        for (int p = rng.Next(0, 3); p > 0; p--)
        {
            double ph = h * (0.25 + 0.1 * rng.NextDouble());
            var person = new ShapeRaster.Shape(ShapeRaster.Kind.Ellipse, rng.Next(w), sidewalk - ph / 2, ph / 2, Math.Max(1.5, ph / 3.5), Math.PI / 2);
            ShapeRaster.Fill(label, w, h, person, Person);
        }
        for (int c = rng.Next(1, 4); c > 0; c--)
        {
            int cw = (int)(w * (0.15 + 0.1 * rng.NextDouble())), ch = (int)(cw * (0.45 + 0.15 * rng.NextDouble()));
            int cx = rng.Next(-cw / 3, w - cw / 2), bottom = sidewalk + rng.Next(Math.Max(1, (ego - sidewalk) / 2) + 1);
            Rect(cx, bottom - ch, cx + cw, bottom, Car);
        }
        Rect(0, ego, w, h, EgoVehicle);

        // Photo: each labelId gets a jittered base colour and a texture; per-pixel noise everywhere.
        var tint = new Dictionary<byte, (int R, int G, int B)>();
        foreach (var id in new[] { EgoVehicle, Static, Road, Sidewalk, Building, Pole, TrafficSign, Vegetation, Sky, Person, Car })
        {
            var c = CityscapesLabels.LabelIdColors[id];
            if (id == EgoVehicle) c = (30, 30, 36);
            if (id == Static) c = (120, 90, 60);
            tint[id] = (c.R + rng.Next(-15, 16), c.G + rng.Next(-15, 16), c.B + rng.Next(-15, 16));
        }
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                byte id = label[p];
                var t = tint[id];
                double f = Texture(id, x, y, h);
                rgb[p * 3] = Clamp((int)(t.R * f) + rng.Next(-8, 9));
                rgb[p * 3 + 1] = Clamp((int)(t.G * f) + rng.Next(-8, 9));
                rgb[p * 3 + 2] = Clamp((int)(t.B * f) + rng.Next(-8, 9));
            }
        return (new RgbImage(w, h, rgb), new LabelMap(w, h, label));
    }

    /// <summary>Brightness factor per class: sky gradient, building windows, leafy checks, road lane dashes, etc.</summary>
    private static double Texture(byte id, int x, int y, int h) => id switch
    {
        Sky => 1.1 - 0.3 * y / h,
        Building => (x % 6 < 3 && y % 6 < 3) ? 0.7 : 1.0,
        Vegetation => ((x / 2) + (y / 2)) % 2 == 0 ? 1.0 : 0.75,
        Road => (y % 8 == 0 && x % 10 < 5) ? 1.5 : 1.0,
        Sidewalk => (x % 5 == 0) ? 0.8 : 1.0,
        Car => (y % 4 < 2) ? 1.0 : 0.8,
        Person => (x + y) % 3 == 0 ? 0.8 : 1.0,
        _ => 1.0,
    };

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
