using Segmenter.Data;
using Segmenter.Evaluation;

namespace Segmenter.Tests.Data;

/// <summary>The panoptic ground truths of the shared COCO and Cityscapes samples, read straight from their jsons.</summary>
public static class PanopticGtCases
{
    public sealed record Case(string Name, PanopticClassMap Classes, PanopticGroundTruth Gt, IReadOnlyList<PanopticSegment> JsonSegments);

    /// <summary>(json, PNG folder) pairs: COCO annotations/panoptic_*2017.json and Cityscapes gtFine/cityscapes_panoptic_*.json.</summary>
    public static IEnumerable<(string Json, string Folder)> JsonFiles()
    {
        var coco = Path.Combine(TestPaths.Datasets, "coco", "annotations");
        var cs = Path.Combine(TestPaths.Datasets, "cityscapes", "gtFine");
        var files = Directory.GetFiles(coco, "panoptic_*.json").Concat(Directory.GetFiles(cs, "cityscapes_panoptic_*.json")).Order().ToList();
        Assert.True(files.Count >= 4, $"expected COCO and Cityscapes panoptic jsons under {TestPaths.Datasets}");
        return files.Select(f => (f, Path.ChangeExtension(f, null)));
    }

    public static IEnumerable<Case> All()
    {
        foreach (var (json, folder) in JsonFiles())
        {
            var root = PanopticEvaluator.LoadJson(json);
            var classes = new PanopticClassMap(PanopticEvaluator.ReadCategories(root, json));
            foreach (var ann in PanopticEvaluator.ReadAnnotations(root, json))
            {
                var png = Path.Combine(folder, ann.FileName);
                var gt = PanopticGroundTruth.Create(PanopticIdMap.ReadRgbPng(png), ann.Segments, classes, png);
                yield return new Case($"{Path.GetFileName(json)}:{ann.ImageId}", classes, gt, ann.Segments);
            }
        }
    }
}
