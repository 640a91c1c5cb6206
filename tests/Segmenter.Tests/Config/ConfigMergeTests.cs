using Segmenter.Config;
using static Segmenter.Tests.Config.ConfigTestSupport;

namespace Segmenter.Tests.Config;

public class ConfigMergeTests
{
    private const string Base = """
        model:
          num_classes: 10
          decode_head:
            channels: 128
            dilations: [1, 2, 3, 4]
            c1_channels: 24
          aux_head:
            channels: 64
            loss_weight: 0.2
        optimizer:
          lr: 0.05
        """;

    [Fact]
    public void DeepMergeKeepsBaseKeysAndChildWins()
    {
        var dir = WriteTree(("base.yaml", Base), ("child.yaml", """
            _base_: base.yaml
            model:
              decode_head:
                channels: 256
            """));
        var cfg = ConfigLoader.Load(Path.Combine(dir, "child.yaml"));
        Assert.Equal(10, cfg.Model.NumClasses);
        Assert.Equal(256, cfg.Model.DecodeHead.Channels);
        Assert.Equal(24, cfg.Model.DecodeHead.C1Channels);
        Assert.Equal([1, 2, 3, 4], cfg.Model.DecodeHead.Dilations);
        Assert.Equal(64, cfg.Model.AuxHead!.Channels);
        Assert.Equal(0.05, cfg.Optimizer.Lr);
        // Untouched keys keep the record defaults.
        Assert.Equal(0.9, cfg.Optimizer.Momentum);
        Assert.Equal(50, cfg.Model.Backbone.Depth);
    }

    [Fact]
    public void ListsAreReplacedNotMerged()
    {
        var dir = WriteTree(("base.yaml", Base), ("child.yaml", """
            _base_: [base.yaml]
            model:
              decode_head:
                dilations: [1, 6]
            """));
        var cfg = ConfigLoader.Load(Path.Combine(dir, "child.yaml"));
        Assert.Equal([1, 6], cfg.Model.DecodeHead.Dilations);
    }

    [Fact]
    public void DeleteReplacesTheBaseMapping()
    {
        var dir = WriteTree(("base.yaml", Base), ("child.yaml", """
            _base_: base.yaml
            model:
              aux_head:
                _delete_: true
                in_index: 1
            """));
        var cfg = ConfigLoader.Load(Path.Combine(dir, "child.yaml"));
        var aux = cfg.Model.AuxHead!;
        Assert.Equal(1, aux.InIndex);
        Assert.Equal(new AuxHeadConfig().Channels, aux.Channels);        // base's 64 dropped, record default back
        Assert.Equal(new AuxHeadConfig().LossWeight, aux.LossWeight);
        Assert.Equal(128, cfg.Model.DecodeHead.Channels);                  // siblings still merged
    }

    [Fact]
    public void LaterBasesWinAndBasesResolveRelativeToTheIncludingFile()
    {
        var dir = WriteTree(
            ("_base_/models/a.yaml", "model:\n  num_classes: 5\n  decode_head:\n    channels: 32\n"),
            ("_base_/b.yaml", "_base_: models/a.yaml\nmodel:\n  num_classes: 7\n"),
            ("exp/c.yaml", "_base_:\n  - ../_base_/models/a.yaml\n  - ../_base_/b.yaml\noptimizer:\n  lr: 0.2\n"));
        var cfg = ConfigLoader.Load(Path.Combine(dir, "exp", "c.yaml"));
        Assert.Equal(7, cfg.Model.NumClasses);
        Assert.Equal(32, cfg.Model.DecodeHead.Channels);
        Assert.Equal(0.2, cfg.Optimizer.Lr);
    }

    [Fact]
    public void NullDisablesOptionalSectionsAndAMapStartsFromTheDefault()
    {
        var cfg = ConfigLoader.LoadText("""
            model:
              aux_head: null
              loss:
                ohem:
                  min_kept: 5000
            optimizer:
              lookahead: {}
              grad_clip: 1.5
            """, "test.yaml");
        Assert.Null(cfg.Model.AuxHead);
        Assert.Equal(5000, cfg.Model.Loss.Ohem!.MinKept);
        Assert.Equal(new OhemConfig().Thresh, cfg.Model.Loss.Ohem.Thresh);
        Assert.Equal(new LookaheadConfig(), cfg.Optimizer.Lookahead);
        Assert.Equal(1.5, cfg.Optimizer.GradClip);

        var tilde = ConfigLoader.LoadText("model:\n  aux_head: ~\n  loss:\n    ohem:\n      thresh: null\n", "t.yaml");
        Assert.Null(tilde.Model.AuxHead);
        Assert.Null(tilde.Model.Loss.Ohem!.Thresh);
    }

    [Fact]
    public void EmptyFileGivesTheDefaults()
    {
        var cfg = ConfigLoader.LoadText("", "empty.yaml");
        Assert.True(DeepEquals(new ExperimentConfig(), cfg));
    }
}
