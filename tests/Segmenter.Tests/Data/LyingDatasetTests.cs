using System.Text.Json.Nodes;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// Issue 14, datasets that lie: a Cityscapes labelId outside the official table stops loading (as cityscapesScripts
/// does) unless data.allow_unknown_label_ids; a COCO panoptic json with duplicate image ids or unknown categories stops
/// when the dataset is opened; a PNG segment missing from the json stops when that PNG is read; `data check` lists all
/// of them for both panoptic layouts.
/// </summary>
public class LyingDatasetTests
{
    [Fact]
    public void Unknown_cityscapes_label_id_stops_unless_allowed()
    {
        var dir = TestPaths.NewTempDir("cs99");
        var path = Path.Combine(dir, "x_gtFine_labelIds.png");
        var data = new byte[6 * 4];
        data[0] = 7; data[5] = 99; data[6] = 26;
        ImageIO.WriteLabelPng(path, new LabelMap(6, 4, data));
        var item = new DatasetItem("x", path.Replace("_gtFine_labelIds", "_leftImg8bit"), path, LabelEncoding.CityscapesLabelIds);
        var e = Assert.Throws<SegmenterException>(() => item.ReadLabel(DataReadOptions.Default));
        Assert.Contains(path, e.Message);
        Assert.Contains("labelId 99", e.Message);
        Assert.Contains("data.allow_unknown_label_ids", e.Message);
        var label = item.ReadLabel(DataReadOptions.Default with { AllowUnknownLabelIds = true });
        Assert.Equal(255, label.Data[5]);
        Assert.Equal(0, label.Data[0]);   // road
        Assert.Equal(13, label.Data[6]);  // car
    }

    private static string CocoCopy(Action<JsonObject> lie)
    {
        var dir = TestPaths.NewTempDir("coco_lie");
        PanopticSynth.Generate(dir, "coco-panoptic", count: 4, size: 48);
        var root = Path.Combine(dir, "coco");
        var json = Path.Combine(root, "annotations", "panoptic_train2017.json");
        var node = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        lie(node);
        File.WriteAllText(json, node.ToJsonString());
        return root;
    }

    private static PanopticDataset Open(string root) =>
        new("coco_panoptic", root, [new PartConfig { Split = "train2017" }]);

    [Fact]
    public void Duplicate_image_ids_stop_when_the_dataset_is_opened()
    {
        var root = CocoCopy(j =>
        {
            var anns = j["annotations"]!.AsArray();
            anns.Add(anns[0]!.DeepClone());
            var images = j["images"]!.AsArray();
            images.Add(images[0]!.DeepClone());
        });
        var e = Assert.Throws<SegmenterException>(() => Open(root));
        Assert.Contains("panoptic_train2017.json", e.Message);
        Assert.Contains("listed twice", e.Message);
        Assert.Contains("more problems", e.Message);
    }

    [Fact]
    public void Unknown_category_stops_when_the_dataset_is_opened()
    {
        var root = CocoCopy(j => j["annotations"]![2]!["segments_info"]![0]!["category_id"] = 4242);
        var e = Assert.Throws<SegmenterException>(() => Open(root));
        Assert.Contains("category_id 4242", e.Message);
    }

    [Fact]
    public void Png_segment_missing_from_the_json_stops_when_the_png_is_read_and_data_check_lists_it()
    {
        var root = CocoCopy(j => j["annotations"]![1]!["segments_info"]!.AsArray().RemoveAt(0));
        var ds = Open(root);
        var e = Assert.Throws<SegmenterException>(() => { for (int i = 0; i < ds.Count; i++) ds.LoadPanoptic(i); });
        Assert.Contains("in the PNG", e.Message);
        Assert.Contains(".png", e.Message);

        var cfg = new DataConfig
        {
            Type = "coco_panoptic", Root = root,
            Train = new SplitConfig { Parts = [new PartConfig { Split = "train2017" }] },
            Val = new SplitConfig { Parts = [new PartConfig { Split = "val2017" }] },
        };
        var report = DataChecker.Check(cfg, numClasses: 5, train: true, numThreads: 1);
        Assert.Contains(report.Problems, p => p.Message.Contains("in the PNG"));
        Assert.NotNull(report.InstancesPerClass);
        Assert.True(report.InstancesPerClass!.Sum() > 0);
        Assert.True(DataChecker.Check(cfg, 5, train: false, numThreads: 1).Ok);
    }

    [Fact]
    public void Data_check_accepts_the_cityscapes_panoptic_layout()
    {
        var dir = TestPaths.NewTempDir("cspan");
        PanopticSynth.Generate(dir, "cityscapes-panoptic", count: 4, size: 48);
        var cfg = new DataConfig
        {
            Type = "cityscapes_panoptic", Root = Path.Combine(dir, "cityscapes"),
            Train = new SplitConfig { Parts = [new PartConfig { Split = "train" }] },
            Val = new SplitConfig { Parts = [new PartConfig { Split = "val" }] },
        };
        var report = DataChecker.Check(cfg, numClasses: 19, train: true, numThreads: 1);
        Assert.True(report.Ok, report.Format());
        Assert.Equal(report.Listed, report.Checked);
        Assert.True(report.InstancesPerClass!.Sum() > 0);
    }
}
