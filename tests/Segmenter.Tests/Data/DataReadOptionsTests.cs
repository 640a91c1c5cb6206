using Segmenter.Config;
using Segmenter.Data;
using Segmenter.IO;

namespace Segmenter.Tests.Data;

/// <summary>
/// Issue 24: data.max_image_pixels and data.allow_unknown_label_ids reach the readers as values of the config a
/// dataset is built from, so two configs in one process each read with their own (nothing process-wide is set).
/// </summary>
public class DataReadOptionsTests
{
    private static DataConfig Folder(string root, long maxImagePixels) =>
        DataTestKit.FolderConfig(root) with { MaxImagePixels = (int)maxImagePixels };

    [Fact]
    public void Two_configs_with_different_pixel_limits_each_get_their_own()
    {
        var root = TestPaths.NewTempDir("limits");
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        var image = Path.Combine(root, "images", "a.png");
        ImageIO.WritePng(image, new RgbImage(20, 15, new byte[20 * 15 * 3]));                           // 300 pixels
        ImageIO.WriteLabelPng(Path.Combine(root, "masks", "a.png"), new LabelMap(20, 15, new byte[20 * 15]));

        var strict = DatasetFactory.Create(Folder(root, 100), train: true, numClasses: 2);   // refused above 200
        var lenient = DatasetFactory.Create(Folder(root, 1000), train: true, numClasses: 2);
        for (int round = 0; round < 2; round++) // built and used interleaved: neither changes the other
        {
            var e = Assert.Throws<SegmenterException>(() => strict.Load(0));
            Assert.Contains(image, e.Message);
            Assert.Contains("data.max_image_pixels (100)", e.Message);
            Assert.Equal(20, lenient.Load(0).Image.Width);
        }
        var checkStrict = DataChecker.Check(Folder(root, 100), 2, train: true, numThreads: 1);
        Assert.Contains(checkStrict.Problems, p => p.Message.Contains("decompression bomb"));
        Assert.True(DataChecker.Check(Folder(root, 1000), 2, train: true, numThreads: 1).Ok);
    }

    [Fact]
    public void Two_configs_with_different_label_id_policies_each_get_their_own()
    {
        var root = TestPaths.NewTempDir("cs_policy");
        var img = Path.Combine(root, "leftImg8bit", "train", "x");
        var gt = Path.Combine(root, "gtFine", "train", "x");
        Directory.CreateDirectory(img);
        Directory.CreateDirectory(gt);
        ImageIO.WritePng(Path.Combine(img, "x_000000_000000_leftImg8bit.png"), new RgbImage(6, 4, new byte[6 * 4 * 3]));
        var ids = new byte[6 * 4];
        ids[0] = 7; ids[5] = 99; // road, and an id outside the Cityscapes table
        var labelIds = Path.Combine(gt, "x_000000_000000_gtFine_labelIds.png");
        ImageIO.WriteLabelPng(labelIds, new LabelMap(6, 4, ids));
        DataConfig Config(bool allow) => new()
        {
            Type = "cityscapes", Root = root, AllowUnknownLabelIds = allow,
            Train = new SplitConfig { Parts = [new PartConfig { Split = "train" }] },
        };

        var refusing = DatasetFactory.Create(Config(false), train: true, numClasses: 19);
        var allowing = DatasetFactory.Create(Config(true), train: true, numClasses: 19);
        for (int round = 0; round < 2; round++)
        {
            var e = Assert.Throws<SegmenterException>(() => refusing.Load(0));
            Assert.Contains(labelIds, e.Message);
            Assert.Contains("labelId 99", e.Message);
            var label = allowing.Load(0).Label;
            Assert.Equal(0, label.Data[0]);
            Assert.Equal(255, label.Data[5]);
        }
    }
}
