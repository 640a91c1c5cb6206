using Segmenter.Config;
using Segmenter.Models;
using Segmenter.Models.Backbones;
using Xunit.Abstractions;

namespace Segmenter.Tests.Config;

public class PanopticConfigTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("panoptic_deeplab_r50_cityscapes.yaml", "resnet", 19, true)]
    [InlineData("axial_deeplab_l_cityscapes.yaml", "axial_resnet", 19, false)]
    [InlineData("axial_deeplab_s_coco.yaml", "axial_resnet", 133, false)]
    [InlineData("smoke_panoptic.yaml", "resnet", 19, true)]
    public void PublishedRecipesBuild(string file, string backbone, int classes, bool aspp)
    {
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, file));
        Assert.Equal("panoptic_deeplab", cfg.Model.Type);
        Assert.Equal(backbone, cfg.Model.Backbone.Type);
        Assert.Equal(classes, cfg.Model.NumClasses);
        Assert.Equal(aspp, cfg.Model.Panoptic.UseAspp);
        Assert.Equal(16, cfg.Model.Backbone.OutputStride);
        // bowenc0221's torchvision trunk keeps dilation 1 in layer4's first block: mmseg's contract_dilation true.
        if (backbone == "resnet") Assert.True(cfg.Model.Backbone.ContractDilation);
        using var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg));
        long n = model.parameters().Sum(p => p.numel());
        output.WriteLine($"{file}: {n:N0} parameters");
        Assert.Equal([4, 8, 16, 16], model.Backbone.OutStrides);
        if (model.Backbone is AxialResNet ax) Assert.Equal(cfg.Model.Backbone.Axial.InputSize / 2, ax.KernelSizes[0]);
    }

    [Fact]
    public void AxialRecipesUseRadamLookaheadWarmup()
    {
        foreach (var file in new[] { "axial_deeplab_l_cityscapes.yaml", "axial_deeplab_s_coco.yaml" })
        {
            var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, file));
            Assert.Equal("radam", cfg.Optimizer.Type);
            Assert.NotNull(cfg.Optimizer.Lookahead);
            Assert.Equal(0.001, cfg.Optimizer.Lr);
            Assert.True(cfg.Schedule.WarmupIters > 0);
            Assert.True(cfg.Model.Backbone.ZeroInitResidual);
        }
    }
}
