using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>Small builders for data tests: synthetic images/labels, PNG datasets on disk, an in-memory dataset.</summary>
internal static class DataTestKit
{
    public static string SharedVoc => Path.Combine(TestPaths.Datasets, "VOCdevkit", "VOC2012");

    /// <summary>Decodes an RGB PNG without ImageIO.ReadRgb (implemented in another branch).</summary>
    public static RgbImage ReadPngRgb(string path)
    {
        var png = PngCodec.Decode(path);
        Assert.Equal(3, png.Channels);
        var data = new byte[png.Samples.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)png.Samples[i];
        return new RgbImage(png.Width, png.Height, data);
    }

    public static RgbImage Image(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    data[(y * w + x) * 3 + c] = (byte)((x * 7 + y * 3 + c * 50 + rng.Next(20)) % 256);
        return new RgbImage(w, h, data);
    }

    /// <summary>Vertical stripes of classes 0..numClasses-1, with a 255 border column.</summary>
    public static LabelMap Label(int w, int h, int numClasses)
    {
        var data = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                data[y * w + x] = x == 0 ? (byte)255 : (byte)(x * numClasses / w);
        return new LabelMap(w, h, data);
    }

    /// <summary>Writes root/images/&lt;id&gt;.png and root/masks/&lt;id&gt;.png.</summary>
    public static void WritePair(string root, string id, RgbImage image, LabelMap label, string imgDir = "images", string annDir = "masks")
    {
        Directory.CreateDirectory(Path.Combine(root, imgDir));
        Directory.CreateDirectory(Path.Combine(root, annDir));
        ImageIO.WritePng(Path.Combine(root, imgDir, id + ".png"), image);
        ImageIO.WriteLabelPng(Path.Combine(root, annDir, id + ".png"), label);
    }

    public static DataConfig FolderConfig(string root, params PartConfig[] parts) => new()
    {
        Type = "folder",
        Root = root,
        Train = new SplitConfig { Parts = parts.Length > 0 ? [.. parts] : [new PartConfig()] },
        Val = new SplitConfig { Parts = parts.Length > 0 ? [.. parts] : [new PartConfig()] },
    };

    public static DataConfig SmallPipeline(DataConfig d, int crop = 32) => d with
    {
        TrainPipeline = new TrainPipelineConfig { Scale = [64, 32], RatioRange = [0.5, 2.0], CropSize = [crop, crop], CatMaxRatio = 0.75 },
        TestPipeline = new TestPipelineConfig { Scale = [64, 32] },
    };
}

/// <summary>A dataset held in memory; counts loads so tests can see what was read.</summary>
internal sealed class MemoryDataset : ISegmentationDataset
{
    private readonly List<Sample> _samples = [];

    public MemoryDataset(int count, int numClasses = 5, int seed = 0)
    {
        for (int i = 0; i < count; i++)
        {
            int w = 40 + (i * 13) % 30, h = 30 + (i * 7) % 25;
            _samples.Add(new Sample($"s{i:D3}", DataTestKit.Image(w, h, seed + i), DataTestKit.Label(w, h, numClasses), "", ""));
        }
    }

    public MemoryDataset(params Sample[] samples) => _samples.AddRange(samples);

    public int Count => _samples.Count;
    public string IdAt(int index) => _samples[index].Id;
    public Sample Load(int index) => _samples[index];
}
