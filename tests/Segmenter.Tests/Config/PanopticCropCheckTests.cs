using Segmenter.Config;

namespace Segmenter.Tests.Config;

/// <summary>
/// Panoptic training carries segment positions through the 8-bit label, so cat_max_ratio &lt; 1 would run the crop
/// check on segments as if they were classes: such a config is refused when it loads, naming the key and the fix.
/// </summary>
public class PanopticCropCheckTests
{
    [Theory]
    [InlineData("coco_panoptic")]
    [InlineData("cityscapes_panoptic")]
    public void APanopticModelOnPanopticDataNeedsCatMaxRatioOne(string dataType)
    {
        var message = ConfigTestSupport.LoadError($"model:\n  type: panoptic_deeplab\ndata:\n  type: {dataType}\n",
            "data.train_pipeline.cat_max_ratio=0.75");
        Assert.DoesNotContain('\n', message);
        Assert.StartsWith("test.yaml: data.train_pipeline.cat_max_ratio is 0.75", message);
        Assert.Contains("set data.train_pipeline.cat_max_ratio to 1", message);

        var ok = ConfigLoader.LoadText($"model:\n  type: panoptic_deeplab\ndata:\n  type: {dataType}\n", "test.yaml", ["data.train_pipeline.cat_max_ratio=1"]);
        Assert.Equal(1.0, ok.Data.TrainPipeline.CatMaxRatio);
    }

    [Fact]
    public void ASemanticModelOnPanopticDataKeepsTheCropCheck()
    {
        // The semantic view's labels are class indices, so the crop check means what it means for VOC.
        var cfg = ConfigLoader.LoadText("data:\n  type: cityscapes_panoptic\n", "test.yaml", ["data.train_pipeline.cat_max_ratio=0.75"]);
        Assert.Equal(0.75, cfg.Data.TrainPipeline.CatMaxRatio);
    }

    [Theory]
    [InlineData("panoptic_deeplab_r50_cityscapes.yaml")]
    [InlineData("panoptic_deeplab_r50_os32_cityscapes.yaml")]
    [InlineData("axial_deeplab_l_cityscapes.yaml")]
    [InlineData("axial_deeplab_s_coco.yaml")]
    [InlineData("smoke_panoptic.yaml")]
    public void ShippedPanopticConfigsSetCatMaxRatioOne(string file) =>
        Assert.Equal(1.0, ConfigLoader.Load(Path.Combine(TestPaths.Configs, file)).Data.TrainPipeline.CatMaxRatio);
}
