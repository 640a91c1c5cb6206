// usage: EmbedSegmenter <config.yaml> <weights (.ckpt | .safetensors | .pth)> <image> [more images]
using Segmenter.Inference;

using var model = SegmentationModel.Load(args[0], args[1]);          // load once, predict from any thread
foreach (var image in args.Skip(2))
{
    var result = model.Predict(File.ReadAllBytes(image));             // also: a path, RgbImage or a tensor
    var counts = result.ClassMap.GroupBy(c => c).OrderByDescending(g => g.Count());
    Console.WriteLine($"{Path.GetFileName(image)} {result.Width}x{result.Height}: " +
        string.Join(", ", counts.Select(g => $"{model.ClassNames[g.Key]} {100.0 * g.Count() / result.ClassMap.Length:F1}%")));
}
