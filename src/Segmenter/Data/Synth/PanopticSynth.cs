using System.Text.Json;
using System.Text.Json.Nodes;
using Segmenter.Evaluation;
using Segmenter.IO;

namespace Segmenter.Data.Synth;

/// <summary>What <see cref="PanopticSynth.Generate"/> wrote: the dataset root (data.root), split names and image ids.</summary>
public sealed record PanopticSynthReport(string Root, string Format, string TrainSplit, string ValSplit,
    IReadOnlyList<string> TrainIds, IReadOnlyList<string> ValIds, int Instances)
{
    public int Count => TrainIds.Count + ValIds.Count;
}

/// <summary>
/// Writes a tiny deterministic panoptic dataset in the official COCO panoptic or Cityscapes panoptic layout (see
/// <see cref="PanopticDataset"/>): three stuff regions (sky over a horizon, road below, a grass/vegetation patch) and
/// 2-4 thing instances of two classes (person, car) per image, each class with its own colour and texture and every
/// instance well separated, so a small Panoptic-DeepLab learns both branches in a short CPU run. COCO: 5 categories
/// (person 1, car 3, road 149, sky-other-merged 187, grass-merged 193; things first), JPEG photos, ids 1..N.
/// Cityscapes: the 19 evaluated labelId categories (class index = trainId), PNG photos, segment id = labelId for stuff
/// and labelId·1000 + k for instances (createPanopticImgs convention), plus gtFine_labelTrainIds.png.
/// The output depends only on the arguments.
/// </summary>
public static class PanopticSynth
{
    public static IReadOnlyList<string> Formats { get; } = ["coco-panoptic", "cityscapes-panoptic"];

    private sealed record Cat(int Id, string Name, bool IsThing, (int R, int G, int B) Colour, int TrainId = -1);

    private static readonly Cat[] CocoCats =
    [
        new(1, "person", true, (220, 20, 60)), new(3, "car", true, (0, 0, 142)),
        new(149, "road", false, (128, 64, 128)), new(187, "sky-other-merged", false, (70, 130, 180)), new(193, "grass-merged", false, (107, 142, 35)),
    ];

    private static readonly Cat[] CityscapesCats =
    [
        new(7, "road", false, (128, 64, 128), 0), new(8, "sidewalk", false, (244, 35, 232), 1), new(11, "building", false, (70, 70, 70), 2),
        new(12, "wall", false, (102, 102, 156), 3), new(13, "fence", false, (190, 153, 153), 4), new(17, "pole", false, (153, 153, 153), 5),
        new(19, "traffic light", false, (250, 170, 30), 6), new(20, "traffic sign", false, (220, 220, 0), 7), new(21, "vegetation", false, (107, 142, 35), 8),
        new(22, "terrain", false, (152, 251, 152), 9), new(23, "sky", false, (70, 130, 180), 10), new(24, "person", true, (220, 20, 60), 11),
        new(25, "rider", true, (255, 0, 0), 12), new(26, "car", true, (0, 0, 142), 13), new(27, "truck", true, (0, 0, 70), 14),
        new(28, "bus", true, (0, 60, 100), 15), new(31, "train", true, (0, 80, 100), 16), new(32, "motorcycle", true, (0, 0, 230), 17),
        new(33, "bicycle", true, (119, 11, 32), 18),
    ];

    /// <summary>
    /// Generates <paramref name="count"/> images (a quarter, at least one, for val) of about <paramref name="size"/> px
    /// width under outDir/coco or outDir/cityscapes; returns the root to use as data.root.
    /// </summary>
    public static PanopticSynthReport Generate(string outDir, string format, int count = 16, int size = 96, int seed = 0)
    {
        if (!Formats.Contains(format)) throw new SegmenterException($"unknown panoptic synth format '{format}'", "--format", "use coco-panoptic or cityscapes-panoptic");
        if (count < 2) throw new SegmenterException($"count is {count}", "--count", "write at least 2 images (one train, one val)");
        if (size is < 32 or > 2048) throw new SegmenterException($"size is {size}", "--size", "use 32..2048");
        bool coco = format == "coco-panoptic";
        var cats = coco ? CocoCats : CityscapesCats;
        int person = coco ? 1 : 24, car = coco ? 3 : 26, road = coco ? 149 : 7, sky = coco ? 187 : 23, grass = coco ? 193 : 21;
        var root = Path.GetFullPath(Path.Combine(outDir, coco ? "coco" : "cityscapes"));
        int valCount = Math.Max(1, count / 4);
        var train = new List<string>();
        var val = new List<string>();
        int instances = 0;
        foreach (var isVal in new[] { false, true })
        {
            string split = coco ? (isVal ? "val2017" : "train2017") : (isVal ? "val" : "train");
            string city = isVal ? "frankfurt" : "aachen";
            var images = new JsonArray();
            var annotations = new JsonArray();
            string pngDir = coco ? Path.Combine(root, "annotations", $"panoptic_{split}") : Path.Combine(root, "gtFine", $"cityscapes_panoptic_{split}");
            Directory.CreateDirectory(pngDir);
            int first = isVal ? count - valCount : 0, end = isVal ? count : count - valCount;
            for (int i = first; i < end; i++)
            {
                Logging.ProgressReporting.Report("synth", i, count);
                var rng = new Random(SeedMixer.RandomSeed(seed, i));
                int w = size, h = coco ? size * 3 / 4 : size / 2;
                var (rgb, ids, segments) = Render(rng, w, h, person, car, road, sky, grass, cats, coco);
                instances += segments.Count(s => cats.First(c => c.Id == s.CategoryId).IsThing);
                string imageId, photo, png;
                if (coco)
                {
                    int id = i + 1;
                    imageId = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    photo = Path.Combine(root, split, $"{id:D12}.jpg");
                    png = $"{id:D12}.png";
                    Directory.CreateDirectory(Path.GetDirectoryName(photo)!);
                    File.WriteAllBytes(photo, ImageIO.Codec.EncodeJpeg(new RgbImage(w, h, rgb), 95));
                    images.Add(new JsonObject { ["id"] = id, ["file_name"] = $"{id:D12}.jpg", ["width"] = w, ["height"] = h });
                }
                else
                {
                    imageId = $"{city}_000000_{i:D6}";
                    photo = Path.Combine(root, "leftImg8bit", split, city, imageId + "_leftImg8bit.png");
                    png = imageId + "_gtFine_panoptic.png";
                    Directory.CreateDirectory(Path.GetDirectoryName(photo)!);
                    File.WriteAllBytes(photo, PngCodec.Encode(w, h, 3, rgb));
                    var trainIds = new byte[w * h];
                    var trainIdOf = segments.ToDictionary(s => s.Id, s => (byte)cats.First(c => c.Id == s.CategoryId).TrainId);
                    for (int p = 0; p < ids.Length; p++) trainIds[p] = trainIdOf.TryGetValue(ids[p], out var t) ? t : (byte)255;
                    var gtDir = Path.Combine(root, "gtFine", split, city);
                    Directory.CreateDirectory(gtDir);
                    File.WriteAllBytes(Path.Combine(gtDir, imageId + "_gtFine_labelTrainIds.png"), PngCodec.Encode(w, h, 1, trainIds));
                    images.Add(new JsonObject { ["id"] = imageId, ["file_name"] = imageId + "_leftImg8bit.png", ["width"] = w, ["height"] = h });
                }
                PanopticIdMap.WriteRgbPng(Path.Combine(pngDir, png), new PanopticIdMap(w, h, ids));
                var segs = new JsonArray();
                foreach (var s in segments)
                    segs.Add(new JsonObject
                    {
                        ["id"] = s.Id, ["category_id"] = s.CategoryId, ["area"] = s.Area, ["iscrowd"] = 0,
                        ["bbox"] = new JsonArray(s.Bbox.Select(v => (JsonNode?)v).ToArray()),
                    });
                annotations.Add(new JsonObject
                {
                    ["image_id"] = coco ? JsonValue.Create(i + 1) : JsonValue.Create(imageId), ["file_name"] = png, ["segments_info"] = segs,
                });
                (isVal ? val : train).Add(imageId);
            }
            var categories = new JsonArray(cats.Select(c => (JsonNode?)new JsonObject
            {
                ["id"] = c.Id, ["name"] = c.Name, ["isthing"] = c.IsThing ? 1 : 0,
                ["color"] = new JsonArray(c.Colour.R, c.Colour.G, c.Colour.B),
            }).ToArray());
            var json = new JsonObject { ["images"] = images, ["annotations"] = annotations, ["categories"] = categories };
            File.WriteAllText(pngDir + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        }
        Logging.ProgressReporting.Report("synth", count, count);
        return new PanopticSynthReport(root, format, coco ? "train2017" : "train", coco ? "val2017" : "val", train, val, instances);
    }

    private sealed record Seg(int Id, int CategoryId, long Area, int[] Bbox);

    private static (byte[] Rgb, int[] Ids, List<Seg> Segments) Render(Random rng, int w, int h, int person, int car, int road, int sky, int grass,
        Cat[] cats, bool coco)
    {
        var ids = new int[w * h];
        int horizon = (int)(h * (0.3 + 0.15 * rng.NextDouble()));
        int patchW = (int)(w * (0.2 + 0.15 * rng.NextDouble()));
        bool patchLeft = rng.Next(2) == 0;
        int StuffId(int cat) => coco ? cat * 256 : cat;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool inPatch = y >= horizon - h / 8 && y < horizon + h / 10 && (patchLeft ? x < patchW : x >= w - patchW);
                ids[y * w + x] = inPatch ? StuffId(grass) : y < horizon ? StuffId(sky) : StuffId(road);
            }

        // Things: 2-4 ellipses/rectangles below the horizon, centres at least (r1 + r2) apart so instances barely touch.
        int n = 2 + rng.Next(3);
        var placed = new List<(double X, double Y, double R)>();
        var thingCat = new Dictionary<int, int>();
        int[] perCat = new int[2];
        int minSide = Math.Min(w, h);
        for (int k = 0; k < n; k++)
        {
            for (int attempt = 0; attempt < 50; attempt++)
            {
                double r = minSide * (0.12 + 0.08 * rng.NextDouble());
                double cx = r + rng.NextDouble() * (w - 2 * r), cy = horizon + rng.NextDouble() * Math.Max(1, h - horizon - r);
                if (placed.Any(p => Math.Sqrt((p.X - cx) * (p.X - cx) + (p.Y - cy) * (p.Y - cy)) < p.R + r + 1)) continue;
                placed.Add((cx, cy, r));
                int which = rng.Next(2), cat = which == 0 ? person : car;
                int id = coco ? cat * 256 + 1 + perCat[which]++ : cat * 1000 + perCat[which]++;
                thingCat[id] = cat;
                // Persons are tall ellipses, cars wide rectangles.
                var shape = which == 0
                    ? new ShapeRaster.Shape(ShapeRaster.Kind.Ellipse, cx, cy, r, r * 0.55, Math.PI / 2)
                    : new ShapeRaster.Shape(ShapeRaster.Kind.Rectangle, cx, cy, r, r * 0.6, 0);
                var (x0, y0, x1, y1) = shape.Bounds(w, h);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        if (shape.Contains(x + 0.5, y + 0.5)) ids[y * w + x] = id;
                break;
            }
        }

        // Photo: class colour, a class texture, a per-instance brightness, pixel noise.
        var colourOf = cats.ToDictionary(c => c.Id, c => c.Colour);
        var bright = thingCat.Keys.ToDictionary(id => id, _ => 0.75 + 0.35 * rng.NextDouble());
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x, id = ids[p];
                int cat = thingCat.TryGetValue(id, out var tc) ? tc : coco ? id / 256 : id;
                var (r, g, b) = colourOf[cat];
                double f = thingCat.ContainsKey(id) ? bright[id] * (cat == person ? ((y / 2) % 2 == 0 ? 1.0 : 0.8) : ((x / 3 + y / 3) % 2 == 0 ? 1.0 : 0.8))
                    : cat == road ? ((x + y) / 4 % 2 == 0 ? 1.0 : 0.9) : 1.0;
                rgb[p * 3] = Clamp(r * f + rng.Next(-12, 13));
                rgb[p * 3 + 1] = Clamp(g * f + rng.Next(-12, 13));
                rgb[p * 3 + 2] = Clamp(b * f + rng.Next(-12, 13));
            }

        var segments = new List<Seg>();
        foreach (var id in ids.Distinct().Order())
        {
            int minX = w, minY = h, maxX = -1, maxY = -1; long area = 0;
            for (int p = 0; p < ids.Length; p++)
                if (ids[p] == id)
                {
                    area++;
                    int x = p % w, y = p / w;
                    minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                }
            int cat = thingCat.TryGetValue(id, out var tc) ? tc : coco ? id / 256 : id;
            segments.Add(new Seg(id, cat, area, [minX, minY, maxX - minX + 1, maxY - minY + 1]));
        }
        return (rgb, ids, segments);
    }

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
}
