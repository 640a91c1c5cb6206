using System.Text;
using Segmenter.IO;

namespace Segmenter.Data.Synth;

/// <summary>
/// Writes a tiny synthetic Pascal VOC 2012 dataset in the exact official layout, for smoke tests and demos that must
/// run without the real data: striped noisy backgrounds (class 0) with 1-3 filled shapes whose class shows in a
/// characteristic colour and texture, so a small network learns it in a few hundred CPU iterations.
/// The output depends only on the arguments (System.Random with derived seeds; no clock), byte for byte.
/// </summary>
public static class VocSynth
{
    /// <summary>The object classes drawn by default: aeroplane, car, cat, dog, person (plus background 0).</summary>
    public static IReadOnlyList<int> DefaultClassesUsed { get; } = [1, 7, 8, 12, 15];

    /// <summary>JPEG quality of the written photos.</summary>
    public const int JpegQuality = 90;

    /// <summary>
    /// Generates <paramref name="count"/> images of about <paramref name="size"/> px under
    /// <c>outDir/VOCdevkit/VOC2012</c>: JPEGImages/*.jpg, SegmentationClass/*.png (VOC palette, 1-2 px 255 band on
    /// object borders), SegmentationClassAug/*.png (L mode, no band) and ImageSets/Segmentation/{train, val, trainval,
    /// aug, trainaug}.txt. aug.txt and trainaug.txt list the train ids (SBD-aug style). Existing files with the same
    /// names are overwritten; nothing else is deleted.
    /// </summary>
    public static SynthReport Generate(string outDir, int count = 48, int size = 96, int seed = 0, double valFraction = 0.25,
        IReadOnlyList<int>? classes = null)
    {
        classes ??= DefaultClassesUsed;
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be at least 1");
        if (size is < 16 or > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be 16..4096");
        if (valFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "valFraction must be in [0, 1)");
        if (classes.Count == 0 || classes.Any(c => c is < 1 or > 254))
            throw new ArgumentException("classes must be a non-empty list of ids 1..254", nameof(classes));

        var root = Path.GetFullPath(Path.Combine(outDir, "VOCdevkit", "VOC2012"));
        var master = new Random(seed);
        var ids = MakeIds(master, count);
        int valCount = valFraction <= 0 ? 0 : Math.Clamp((int)Math.Round(count * valFraction), 1, Math.Max(1, count - 1));
        if (count == 1) valCount = 0;
        var order = Enumerable.Range(0, count).ToArray();
        master.Shuffle(order);
        var valSet = order.Take(valCount).Select(i => ids[i]).ToHashSet(StringComparer.Ordinal);
        var valIds = ids.Where(valSet.Contains).ToList();
        var trainIds = ids.Where(id => !valSet.Contains(id)).ToList();

        foreach (var sub in new[] { "JPEGImages", "SegmentationClass", "SegmentationClassAug", Path.Combine("ImageSets", "Segmentation") })
            Directory.CreateDirectory(Path.Combine(root, sub));

        var palette = Palettes.Voc(256);
        var pixels = new long[256];
        for (int i = 0; i < count; i++)
        {
            var rng = new Random(DeriveSeed(seed, i));
            var (image, aug, voc) = RenderOne(rng, size, classes, i);
            for (int p = 0; p < aug.Data.Length; p++) pixels[aug.Data[p]]++;
            File.WriteAllBytes(Path.Combine(root, "JPEGImages", ids[i] + ".jpg"), ImageIO.Codec.EncodeJpeg(image, JpegQuality));
            File.WriteAllBytes(Path.Combine(root, "SegmentationClass", ids[i] + ".png"), EncodeLabel(voc, palette));
            File.WriteAllBytes(Path.Combine(root, "SegmentationClassAug", ids[i] + ".png"), EncodeLabel(aug, null));
            Logging.ProgressReporting.Report("synth", i + 1, count);
        }

        var sets = Path.Combine(root, "ImageSets", "Segmentation");
        WriteList(Path.Combine(sets, "train.txt"), trainIds);
        WriteList(Path.Combine(sets, "val.txt"), valIds);
        WriteList(Path.Combine(sets, "trainval.txt"), ids);
        WriteList(Path.Combine(sets, "aug.txt"), trainIds);
        WriteList(Path.Combine(sets, "trainaug.txt"), trainIds);

        var perClass = new SortedDictionary<int, long>();
        for (int c = 0; c < 256; c++) if (pixels[c] > 0) perClass[c] = pixels[c];
        return new SynthReport(Path.GetFullPath(outDir), root, ids, trainIds, valIds, classes.ToList(), perClass);
    }

    /// <summary>Distinct VOC-style ids (year 2007-2012, '_', six digits), sorted as the official split files are.</summary>
    private static List<string> MakeIds(Random rng, int count)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        int span = Math.Max(1000, count * 4);
        while (set.Count < count)
            set.Add($"{2007 + rng.Next(6)}_{rng.Next(1, Math.Min(span, 999_999)):D6}");
        return set.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A per-image seed mixed from the run seed and the image index (SplitMix64 finaliser), stable across runtimes.</summary>
    private static int DeriveSeed(int seed, int index)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(index + 1) * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private static (RgbImage Image, LabelMap Aug, LabelMap Voc) RenderOne(Random rng, int size, IReadOnlyList<int> classes, int index)
    {
        // Size: square, landscape 4:3 or portrait 3:4, with a few pixels of jitter.
        int longSide = size * 4 / 3, jitter = size / 16 + 1;
        var (w, h) = rng.Next(3) switch { 0 => (size, size), 1 => (longSide, size), _ => (size, longSide) };
        w += rng.Next(jitter); h += rng.Next(jitter);

        // Objects: object k of this image is painted with value k + 1 in `obj`; later objects occlude earlier ones.
        int objects = 1 + rng.Next(3);
        var obj = new byte[w * h];
        var objClass = new int[objects + 1];
        var objSig = new int[objects + 1];
        int minSide = Math.Min(w, h);
        for (int k = 0; k < objects; k++)
        {
            int sig = k == 0 ? index % classes.Count : rng.Next(classes.Count); // rotate the first object's class: every class appears
            objClass[k + 1] = classes[sig];
            objSig[k + 1] = sig;
            double e = minSide * (0.16 + 0.16 * rng.NextDouble());
            double cx = e * 0.5 + rng.NextDouble() * (w - e), cy = e * 0.5 + rng.NextDouble() * (h - e);
            var kind = (ShapeRaster.Kind)rng.Next(4);
            double angle = rng.NextDouble() * Math.PI;
            var shape = kind switch
            {
                ShapeRaster.Kind.Rectangle => new ShapeRaster.Shape(kind, cx, cy, e * (0.6 + 0.4 * rng.NextDouble()), e * (0.6 + 0.4 * rng.NextDouble()), 0),
                ShapeRaster.Kind.Ellipse => new ShapeRaster.Shape(kind, cx, cy, e, e * (0.45 + 0.45 * rng.NextDouble()), angle),
                ShapeRaster.Kind.Triangle => new ShapeRaster.Shape(kind, cx, cy, e * 1.15, e * 1.15, angle),
                _ => new ShapeRaster.Shape(kind, cx, cy, e, e, 0),
            };
            ShapeRaster.Fill(obj, w, h, shape, (byte)(k + 1));
        }

        var aug = new byte[w * h];
        for (int p = 0; p < aug.Length; p++) aug[p] = (byte)objClass[obj[p]];

        // Photo: striped grey-ish background, class colour + texture inside objects, per-pixel noise everywhere.
        var bg = Background(rng);
        var tints = new (int R, int G, int B)[objects + 1];
        var phase = new (int X, int Y)[objects + 1];
        for (int k = 1; k <= objects; k++)
        {
            var (r, g, b) = ClassColour(objSig[k], classes.Count);
            tints[k] = (r + rng.Next(-12, 13), g + rng.Next(-12, 13), b + rng.Next(-12, 13));
            phase[k] = (rng.Next(8), rng.Next(8));
        }
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x, k = obj[p];
                (int R, int G, int B) c;
                if (k == 0) c = bg.At(x, y);
                else
                {
                    double f = Texture(objSig[k], x + phase[k].X, y + phase[k].Y);
                    c = ((int)(tints[k].R * f), (int)(tints[k].G * f), (int)(tints[k].B * f));
                }
                rgb[p * 3] = Clamp(c.R + rng.Next(-10, 11));
                rgb[p * 3 + 1] = Clamp(c.G + rng.Next(-10, 11));
                rgb[p * 3 + 2] = Clamp(c.B + rng.Next(-10, 11));
            }

        // VOC label: the same classes with a 255 void band on every class boundary (1 or 2 px wide, as annotators drew).
        var voc = (byte[])aug.Clone();
        bool wide = rng.Next(2) == 1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte v = aug[y * w + x];
                bool edge = (x + 1 < w && aug[y * w + x + 1] != v) || (y + 1 < h && aug[(y + 1) * w + x] != v);
                if (wide) edge |= (x > 0 && aug[y * w + x - 1] != v) || (y > 0 && aug[(y - 1) * w + x] != v);
                if (edge) voc[y * w + x] = 255;
            }
        return (new RgbImage(w, h, rgb), new LabelMap(w, h, aug), new LabelMap(w, h, voc));
    }

    private sealed record Stripes(int Orientation, int Period, (int R, int G, int B) A, (int R, int G, int B) B)
    {
        public (int R, int G, int B) At(int x, int y)
        {
            int t = Orientation switch { 0 => y, 1 => x, 2 => x + y, _ => x - y + 2 * Period * 4096 };
            return (t / Period) % 2 == 0 ? A : B;
        }
    }

    /// <summary>Low-saturation stripes (horizontal, vertical or diagonal) so object colours stand out from the background.</summary>
    private static Stripes Background(Random rng)
    {
        int grey = 60 + rng.Next(130);
        var a = (grey + rng.Next(-15, 16), grey + rng.Next(-15, 16), grey + rng.Next(-15, 16));
        int shift = (rng.Next(2) == 0 ? -1 : 1) * (25 + rng.Next(25));
        var b = (a.Item1 + shift, a.Item2 + shift + rng.Next(-8, 9), a.Item3 + shift + rng.Next(-8, 9));
        return new Stripes(rng.Next(4), 3 + rng.Next(6), a, b);
    }

    /// <summary>A saturated colour per class signature: hues spread evenly round the colour wheel.</summary>
    private static (int R, int G, int B) ClassColour(int sig, int n)
    {
        double hue = (sig * 360.0 / n + 10) % 360, s = 0.8, v = 0.85;
        double c = v * s, hp = hue / 60, xx = c * (1 - Math.Abs(hp % 2 - 1)), m = v - c;
        var (r, g, b) = (int)hp switch
        {
            0 => (c, xx, 0.0), 1 => (xx, c, 0.0), 2 => (0.0, c, xx), 3 => (0.0, xx, c), 4 => (xx, 0.0, c), _ => (c, 0.0, xx),
        };
        return ((int)Math.Round((r + m) * 255), (int)Math.Round((g + m) * 255), (int)Math.Round((b + m) * 255));
    }

    /// <summary>Brightness factor of a class's texture: solid, stripes, checks, dots or diagonal stripes.</summary>
    private static double Texture(int sig, int x, int y) => (sig % 5) switch
    {
        0 => 1.0,
        1 => (y / 2) % 2 == 0 ? 1.0 : 0.6,
        2 => ((x / 3) + (y / 3)) % 2 == 0 ? 1.0 : 0.6,
        3 => (x % 4 < 2 && y % 4 < 2) ? 1.0 : 0.7,
        _ => ((x + y) / 3) % 2 == 0 ? 1.0 : 0.6,
    };

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    private static byte[] EncodeLabel(LabelMap label, (byte R, byte G, byte B)[]? palette)
    {
        byte[]? plte = null;
        if (palette is not null)
        {
            plte = new byte[256 * 3];
            for (int i = 0; i < 256; i++) { plte[i * 3] = palette[i].R; plte[i * 3 + 1] = palette[i].G; plte[i * 3 + 2] = palette[i].B; }
        }
        return PngCodec.Encode(label.Width, label.Height, 1, label.Data, plte);
    }

    private static void WriteList(string path, IEnumerable<string> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids) sb.Append(id).Append('\n');
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }
}
