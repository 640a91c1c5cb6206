using Segmenter.Config;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Config;

public class ConfigWriterTests
{
    [Fact]
    public void DefaultsRoundTripWithEveryKeyVisible()
    {
        var defaults = new ExperimentConfig();
        var yaml = ConfigWriter.ToYaml(defaults);
        foreach (var key in new[] { "num_classes:", "c1_channels:", "aux_head:", "ohem: null", "lookahead: null", "multi_grid: null",
                     "grad_clip: null", "palette: []", "dilations: [1, 12, 24, 36]", "parts:", "- img_dir: JPEGImages", "bn_eps: 1.0e-05", "eps: 1.0e-08" })
            Assert.Contains(key, yaml);
        Assert.True(ConfigTestSupport.DeepEquals(defaults, ConfigLoader.LoadText(yaml, "written.yaml")));
    }

    [Fact]
    public void AwkwardValuesRoundTrip()
    {
        var config = new ExperimentConfig
        {
            Model = new ModelConfig
            {
                NumClasses = 3,
                AuxHead = null,
                Backbone = new BackboneConfig { MultiGrid = [1, 2, 4], Pretrained = "weights/r50: 'v1'#x.safetensors" },
                Loss = new LossConfig { ClassWeight = [1e21, 0.1 + 0.2, 2e-7], Ohem = new OhemConfig { Thresh = null } },
            },
            Data = new DataConfig
            {
                ClassNames = ["null", "true", "12"],
                Palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0]],
                Root = " spaced root ",
                Train = new SplitConfig { Parts = [new PartConfig { Split = null, ImgSuffix = "-x" }, new PartConfig { AnnDir = "a\tb\n" }] },
                TestPipeline = new TestPipelineConfig { Scale = null },
            },
            Optimizer = new OptimizerConfig { Type = "radam", Lookahead = new LookaheadConfig { K = 5 }, GradClip = 10, Lr = 1e-3 },
            Train = new TrainConfig { Device = "cuda:1", WorkDir = "[odd] {dir}" },
        };
        var yaml = ConfigWriter.ToYaml(config);
        var loaded = ConfigLoader.LoadText(yaml, "written.yaml");
        Assert.True(ConfigTestSupport.DeepEquals(config, loaded), yaml);
        Assert.Equal(yaml, ConfigWriter.ToYaml(loaded));
    }

    [Fact]
    public void DeepEqualsSeesListDifferences()
    {
        var a = new ExperimentConfig();
        var b = a with { Model = a.Model with { DecodeHead = a.Model.DecodeHead with { Dilations = [1, 12, 24, 35] } } };
        Assert.True(ConfigTestSupport.DeepEquals(a, new ExperimentConfig()));
        Assert.False(ConfigTestSupport.DeepEquals(a, b));
    }
}
