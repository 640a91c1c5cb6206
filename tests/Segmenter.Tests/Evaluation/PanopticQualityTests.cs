using System.Text.Json.Nodes;
using Segmenter.Evaluation;

namespace Segmenter.Tests.Evaluation;

public class PanopticQualityTests
{
    private static readonly PanopticCategory[] Cats =
    [
        new(1, "person", true), new(2, "car", true), new(10, "sky", false),
    ];

    // 4x4 GT: top half sky (id 300000, uses the B channel), a person (id 5) bottom-left 2x2, a car (7) bottom-right 2x2.
    private static readonly int[] GtIds =
    [
        300000, 300000, 300000, 300000,
        300000, 300000, 300000, 300000,
        5, 5, 7, 7,
        5, 5, 7, 7,
    ];

    private static readonly PanopticSegment[] GtSegs =
    [
        new(300000, 10, false, 8), new(5, 1, false, 4), new(7, 2, false, 4),
    ];

    /// <summary>Writes a COCO-panoptic case (jsons + RGB PNGs) for one image and returns its four paths.</summary>
    private static (string GtJson, string GtDir, string PredJson, string PredDir) WriteCase(
        int[] gtIds, IEnumerable<PanopticSegment> gtSegs, int[] predIds, IEnumerable<PanopticSegment> predSegs, bool predForImage = true)
    {
        var root = TestPaths.NewTempDir("pqcase");
        var gtDir = Path.Combine(root, "gt");
        var predDir = Path.Combine(root, "pred");
        PanopticIdMap.WriteRgbPng(Path.Combine(gtDir, "img1.png"), new PanopticIdMap(4, 4, gtIds));
        PanopticIdMap.WriteRgbPng(Path.Combine(predDir, "img1.png"), new PanopticIdMap(4, 4, predIds));
        JsonArray Segs(IEnumerable<PanopticSegment> s) => new(s.Select(x =>
        {
            var o = new JsonObject { ["id"] = x.Id, ["category_id"] = x.CategoryId, ["iscrowd"] = x.IsCrowd ? 1 : 0 };
            if (x.Area is { } a) o["area"] = a;
            return (JsonNode?)o;
        }).ToArray());
        var gt = new JsonObject
        {
            ["images"] = new JsonArray(new JsonObject { ["id"] = 1, ["file_name"] = "img1.jpg", ["width"] = 4, ["height"] = 4 }),
            ["annotations"] = new JsonArray(new JsonObject { ["image_id"] = 1, ["file_name"] = "img1.png", ["segments_info"] = Segs(gtSegs) }),
            ["categories"] = new JsonArray(Cats.Select(c => (JsonNode?)new JsonObject { ["id"] = c.Id, ["name"] = c.Name, ["isthing"] = c.IsThing ? 1 : 0 }).ToArray()),
        };
        var pred = new JsonObject
        {
            ["annotations"] = new JsonArray(new JsonObject { ["image_id"] = predForImage ? 1 : 2, ["file_name"] = "img1.png", ["segments_info"] = Segs(predSegs) }),
        };
        var gtJson = Path.Combine(root, "gt.json");
        var predJson = Path.Combine(root, "pred.json");
        File.WriteAllText(gtJson, gt.ToJsonString());
        File.WriteAllText(predJson, pred.ToJsonString());
        return (gtJson, gtDir, predJson, predDir);
    }

    private static PanopticResult Run((string GtJson, string GtDir, string PredJson, string PredDir) c) =>
        PanopticEvaluator.Evaluate(c.GtJson, c.GtDir, c.PredJson, c.PredDir);

    [Fact]
    public void Perfect_prediction_gives_pq_one()
    {
        // Same partition, different ids (including one above 65535).
        var predIds = GtIds.Select(id => id switch { 300000 => 70000, 5 => 1, _ => 2 }).ToArray();
        var r = Run(WriteCase(GtIds, GtSegs, predIds, [new(70000, 10), new(1, 1), new(2, 2)]));
        Assert.Equal(1.0, r.All.Pq);
        Assert.Equal(1.0, r.All.Sq);
        Assert.Equal(1.0, r.All.Rq);
        Assert.Equal(3, r.All.N);
        Assert.Equal(2, r.Things.N);
        Assert.Equal(1, r.Stuff.N);
        Assert.Contains("All       | 100.0  100.0  100.0     3", r.FormatTable());
    }

    [Fact]
    public void Void_and_crowd_rules()
    {
        // GT: row 0 VOID, row 1 sky, bottom-left person crowd (id 9), bottom-right car 7.
        int[] gt =
        [
            0, 0, 0, 0,
            300000, 300000, 300000, 300000,
            9, 9, 7, 7,
            9, 9, 7, 7,
        ];
        PanopticSegment[] gtSegs = [new(300000, 10, false, 4), new(9, 1, true, 4), new(7, 2, false, 4)];
        // Pred: sky covers rows 0-1 (4 of 8 on VOID: union 8+4-4-4 = 4, IoU 1), person inside the crowd (ignored), car 3 of 4 pixels.
        int[] pred =
        [
            1, 1, 1, 1,
            1, 1, 1, 1,
            2, 2, 3, 3,
            2, 2, 3, 0,
        ];
        var q = new PanopticQuality(Cats);
        var stats = q.Update("1", new PanopticIdMap(4, 4, gt), gtSegs, new PanopticIdMap(4, 4, pred), [new(1, 10), new(2, 1), new(3, 2)]);
        Assert.Equal(1, stats.PerCategory[10].Tp);
        Assert.Equal(1.0, stats.PerCategory[10].IouSum);
        Assert.False(stats.PerCategory.ContainsKey(1)); // crowd GT is not a FN, the person inside it is not a FP
        Assert.Equal(0.75, stats.PerCategory[2].IouSum);
        var r = q.Compute();
        Assert.Equal(2, r.All.N);
        Assert.Equal((1.0 + 0.75) / 2, r.All.Pq, 12);
        Assert.Equal(0, r.PerCategory.Single(c => c.Category.Id == 1).Tp);
        Assert.False(r.PerCategory.Single(c => c.Category.Id == 1).CountedInMean);
    }

    [Fact]
    public void Iou_of_exactly_one_half_does_not_match()
    {
        int[] gt = [5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        int[] pred = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var q = new PanopticQuality(Cats);
        var s = q.Update("1", new PanopticIdMap(4, 4, gt), [new(5, 1, false, 4)], new PanopticIdMap(4, 4, pred), [new(1, 1)]);
        Assert.Equal(0, s.PerCategory[1].Tp);
        Assert.Equal(1, s.PerCategory[1].Fn);
        Assert.Equal(1, s.PerCategory[1].Fp);
        var r = q.Compute();
        Assert.Equal(0.0, r.All.Pq);
        Assert.True(double.IsNaN(r.Stuff.Pq)); // no stuff category occurred
        Assert.Equal(0, r.Stuff.N);
    }

    [Fact]
    public void Missing_prediction_for_a_gt_image_is_an_error()
    {
        var c = WriteCase(GtIds, GtSegs, GtIds, GtSegs.Select(s => s with { Area = null }), predForImage: false);
        var ex = Assert.Throws<SegmenterException>(() => Run(c));
        Assert.Contains("no prediction for the image with id 1", ex.Message);
        Assert.Contains(c.PredJson, ex.Message);
    }

    [Fact]
    public void Png_id_missing_from_segments_info_is_an_error()
    {
        var c = WriteCase(GtIds, GtSegs, GtIds, [new(300000, 10), new(5, 1)]);
        var ex = Assert.Throws<SegmenterException>(() => Run(c));
        Assert.Contains("segment id 7 is in the prediction PNG", ex.Message);
        Assert.Contains(Path.Combine(c.PredDir, "img1.png"), ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Segments_info_id_missing_from_png_is_an_error()
    {
        var c = WriteCase(GtIds, GtSegs, GtIds, [new(300000, 10), new(5, 1), new(7, 2), new(8, 2)]);
        var ex = Assert.Throws<SegmenterException>(() => Run(c));
        Assert.Contains("[8]", ex.Message);
        Assert.Contains("not in its PNG", ex.Message);
    }

    [Fact]
    public void Unknown_category_is_an_error()
    {
        var c = WriteCase(GtIds, GtSegs, GtIds, [new(300000, 10), new(5, 1), new(7, 99)]);
        var ex = Assert.Throws<SegmenterException>(() => Run(c));
        Assert.Contains("unknown category_id 99", ex.Message);
        Assert.Contains("img1.png", ex.Message);
    }

    [Fact]
    public void Size_mismatch_and_missing_gt_area_are_errors()
    {
        var q = new PanopticQuality(Cats);
        var ex = Assert.Throws<SegmenterException>(() =>
            q.Update("1", new PanopticIdMap(4, 4, GtIds), GtSegs, new PanopticIdMap(2, 2, new int[4]), [], "pred/img1.png"));
        Assert.Contains("pred/img1.png", ex.Message);
        ex = Assert.Throws<SegmenterException>(() =>
            q.Update("1", new PanopticIdMap(4, 4, GtIds), [new(5, 1)], new PanopticIdMap(4, 4, new int[16]), [], "pred/img1.png"));
        Assert.Contains("no 'area'", ex.Message);
    }

    [Fact]
    public void Colour_png_round_trip_keeps_24_bit_ids()
    {
        var dir = TestPaths.NewTempDir("pqpng");
        var path = Path.Combine(dir, "ids.png");
        var map = new PanopticIdMap(2, 2, [0, 255, 65536 + 3, (1 << 24) - 1]);
        PanopticIdMap.WriteRgbPng(path, map);
        Assert.Equal(map.Ids, PanopticIdMap.ReadRgbPng(path).Ids);
        Directory.Delete(dir, true);
    }
}
