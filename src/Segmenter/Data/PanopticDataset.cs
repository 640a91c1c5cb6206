using System.Text.Json;
using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// A COCO-panoptic-format dataset: a json (images, annotations with segments_info, categories with isthing), a
/// folder of RGB id PNGs and the photos, found where its <see cref="PanopticFormat"/> says.
/// As an <see cref="ISegmentationDataset"/> it yields the semantic view (class index per pixel, VOID = ignore), so the
/// semantic trainer and mIoU evaluation work on panoptic data unchanged.
/// </summary>
public sealed class PanopticDataset : ISegmentationDataset
{
    /// <summary>One listed image: its id, photo, panoptic PNG and segments_info.</summary>
    public sealed record Item(string Id, string ImagePath, string PanopticPath, IReadOnlyList<PanopticSegment> Segments);

    private readonly Func<string, RgbImage> _readImage;
    private readonly List<Item> _items = new();
    private readonly Action<SegmenterException>? _report;

    /// <param name="format">A data.type registered in <see cref="DatasetRegistry"/> as a <see cref="PanopticFormat"/>.</param>
    public PanopticDataset(string format, string root, IReadOnlyList<PartConfig> parts, int ignoreIndex = 255, Func<string, RgbImage>? readImage = null,
        Action<SegmenterException>? report = null, DataReadOptions? read = null)
        : this(DatasetRegistry.GetPanoptic(format), root, parts, ignoreIndex, readImage, report, read) { }

    /// <param name="parts">Each part's split names the json (train2017 / val); img_dir and ann_dir override the photo and PNG folders.</param>
    /// <param name="report">null: the first problem of the json or a missing file throws; else every problem is reported and the item skipped (`segment data check`).</param>
    /// <param name="read">The config's data.max_image_pixels every photo and panoptic PNG is checked against; null = the default.</param>
    public PanopticDataset(PanopticFormat format, string root, IReadOnlyList<PartConfig> parts, int ignoreIndex = 255, Func<string, RgbImage>? readImage = null,
        Action<SegmenterException>? report = null, DataReadOptions? read = null)
    {
        _report = report;
        ReadOptions = read ?? DataReadOptions.Default;
        Format = format;
        Root = Path.GetFullPath(root);
        IgnoreIndex = ignoreIndex;
        _readImage = readImage ?? ReadOptions.ReadRgb;
        if (!Directory.Exists(Root)) throw new SegmenterException("dataset root not found", Root, "set data.root to the dataset folder");
        if (parts.Count == 0) throw new SegmenterException("no parts listed", "data.train/val.parts", "list one part per split, e.g. split: val2017");
        foreach (var part in parts) AddPart(part);
        if (_items.Count == 0 && report is null) throw new SegmenterException("the panoptic dataset is empty", Root, "check data.root and the split names");
    }

    public PanopticFormat Format { get; }
    /// <summary>The pixel limit this dataset's files are read with (its config's data.max_image_pixels).</summary>
    public DataReadOptions ReadOptions { get; }
    public string Root { get; }
    public int IgnoreIndex { get; }
    /// <summary>Categories of the first part's json (all parts must agree), in class-index order.</summary>
    public PanopticClassMap Classes { get; private set; } = null!;
    /// <summary>The ground-truth json and PNG folder of each part, for panopticapi-style evaluation.</summary>
    public List<(string Json, string Folder)> GroundTruthFiles { get; } = new();
    public IReadOnlyList<Item> Items => _items;

    public int Count => _items.Count;
    public string IdAt(int index) => _items[index].Id;

    /// <summary>Decodes the photo and the panoptic ground truth of item <paramref name="index"/>. Thread-safe.</summary>
    public PanopticSample LoadPanoptic(int index)
    {
        var item = _items[index];
        var image = _readImage(item.ImagePath);
        var map = PanopticIdMap.ReadRgbPng(item.PanopticPath, ReadOptions.MaxImagePixels);
        if (PanopticConsistency.CheckPng(map.Ids, item.Segments, item.Id, item.PanopticPath) is { } lie) throw lie;
        if (map.Width != image.Width || map.Height != image.Height)
            throw new SegmenterException($"panoptic PNG is {map.Width}x{map.Height} but the image {item.ImagePath} is {image.Width}x{image.Height}",
                item.PanopticPath, "pair every image with the panoptic PNG of the same size");
        return new PanopticSample(item.Id, image, PanopticGroundTruth.Create(map, item.Segments, Classes, item.PanopticPath), item.ImagePath, item.PanopticPath);
    }

    /// <summary>The semantic view: class index per pixel (crowd regions keep their class), VOID and unlisted ids = ignore.</summary>
    public Sample Load(int index)
    {
        var s = LoadPanoptic(index);
        return new Sample(s.Id, s.Image, SemanticLabel(s.Gt, IgnoreIndex), s.ImagePath, s.PanopticPath);
    }

    public static LabelMap SemanticLabel(PanopticGroundTruth gt, int ignoreIndex)
    {
        var classOf = gt.Segments.ToDictionary(s => s.Id, s => s.ClassIndex);
        var data = new byte[gt.SegmentIds.Length];
        for (int i = 0; i < data.Length; i++)
            data[i] = classOf.TryGetValue(gt.SegmentIds[i], out var c) ? (byte)c : (byte)ignoreIndex;
        return new LabelMap(gt.Width, gt.Height, data);
    }

    private void AddPart(PartConfig part)
    {
        if (part.Split is not { Length: > 0 } split)
            throw new SegmenterException("a panoptic part has no split", "data.*.parts[].split", Format.SplitHint);
        var pngDir = Path.Combine(Root, part.AnnDir ?? Format.PngDir(split));
        var imgDir = Path.Combine(Root, part.ImgDir ?? Format.ImgDir(split));
        // panopticapi's convention: the json sits next to its PNG folder, with the same name.
        var json = pngDir.TrimEnd('/', '\\') + ".json";
        if (!File.Exists(json)) throw new SegmenterException("panoptic json not found", json, $"check data.root and the split name '{split}'");
        if (!Directory.Exists(pngDir)) throw new SegmenterException("panoptic PNG folder not found", pngDir, "extract the panoptic PNGs next to their json");
        if (!Directory.Exists(imgDir)) throw new SegmenterException("image folder not found", imgDir, "check data.root, the split name and img_dir");

        var root = PanopticEvaluator.LoadJson(json);
        var classes = new PanopticClassMap(PanopticEvaluator.ReadCategories(root, json));
        if (Classes is null) Classes = classes;
        else if (!Classes.Categories.SequenceEqual(classes.Categories))
            throw new SegmenterException("categories differ from the first part's json", json, "use parts of the same dataset");
        if (classes.NumClasses > 255 || IgnoreIndex < classes.NumClasses)
            throw new SegmenterException($"{classes.NumClasses} categories do not fit 8-bit labels below ignore_index {IgnoreIndex}", json,
                "use ignore_index 255 with at most 255 categories");
        GroundTruthFiles.Add((json, pngDir));

        var fileNames = ImageFileNames(root, json);
        var annotations = PanopticEvaluator.ReadAnnotations(root, json);
        // A json that lies (duplicate ids, unknown categories) stops here, when the dataset is opened, not when the
        // one bad image happens to be drawn.
        var problems = PanopticConsistency.CheckJson(root, json, classes, annotations);
        if (_report is null) PanopticConsistency.ThrowFirst(problems);
        else problems.ForEach(_report);
        foreach (var ann in annotations)
        {
            try
            {
                var imagePath = Format.ImagePath(imgDir, ann.ImageId, fileNames, json);
                if (!File.Exists(imagePath)) throw new SegmenterException($"image of annotation {ann.ImageId} not found", imagePath, "check the image folder");
                var png = Path.Combine(pngDir, ann.FileName);
                if (!File.Exists(png)) throw new SegmenterException($"panoptic PNG of image {ann.ImageId} not found", png, "check the PNG folder");
                _items.Add(new Item(ann.ImageId, imagePath, png, ann.Segments));
            }
            catch (SegmenterException e) when (_report is not null)
            {
                _report(e);
            }
        }
    }

    private static Dictionary<string, string> ImageFileNames(JsonElement root, string json)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array) return map;
        foreach (var im in images.EnumerateArray())
            if (im.TryGetProperty("id", out var id) && im.TryGetProperty("file_name", out var fn) && fn.ValueKind == JsonValueKind.String)
                map[id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText()] = fn.GetString()!;
        return map;
    }
}
