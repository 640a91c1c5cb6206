using Segmenter.Config;
using static Segmenter.Tests.Config.ConfigTestSupport;

namespace Segmenter.Tests.Config;

public class ConfigErrorTests
{
    [Fact]
    public void MalformedYamlNamesFileLineAndColumn()
    {
        var message = LoadError("model:\n  num_classes: 3\n  decode_head: [1, 2\noptimizer:\n  lr: 0.1\n");
        Assert.StartsWith("test.yaml:", message);
        Assert.Contains("malformed YAML", message);
        Assert.Matches(@"^test\.yaml:\d+:\d+: ", message);
        Assert.DoesNotContain('\n', message);

        var indent = LoadError("model:\n  num_classes: 3\n   depth: 5\n");
        Assert.StartsWith("test.yaml:3:", indent);
    }

    [Fact]
    public void UnknownKeyNamesLineAndSuggestsTheClosestKey()
    {
        var message = LoadError("model:\n  decode_head:\n    channels: 3\n    chanels: 4\n");
        Assert.StartsWith("test.yaml:4: unknown key 'model.decode_head.chanels' (did you mean 'channels'?)", message);

        var top = LoadError("optimizr:\n  lr: 1\n");
        Assert.StartsWith("test.yaml:1: unknown key 'optimizr' (did you mean 'optimizer'?)", top);

        var far = LoadError("model:\n  zzzzzzzzzzzz: 1\n");
        Assert.Contains("unknown key 'model.zzzzzzzzzzzz'", far);
        Assert.DoesNotContain("did you mean", far);
        Assert.Contains("num_classes", far);   // the fix lists the allowed keys

        var inList = LoadError("data:\n  train:\n    parts:\n      - img_dir: a\n        ann_dirr: b\n");
        Assert.StartsWith("test.yaml:5: unknown key 'data.train.parts.0.ann_dirr' (did you mean 'ann_dir'?)", inList);
    }

    [Theory]
    [InlineData("model:\n  num_classes: abc\n", "test.yaml:2: 'model.num_classes' expects an integer, got 'abc'")]
    [InlineData("model:\n  num_classes: 2.5\n", "test.yaml:2: 'model.num_classes' expects an integer, got '2.5'")]
    [InlineData("optimizer:\n  lr: fast\n", "test.yaml:2: 'optimizer.lr' expects a number, got 'fast'")]
    [InlineData("model:\n  backbone:\n    deep_stem: 'true'\n", "test.yaml:3: 'model.backbone.deep_stem' expects true or false, got the string 'true'")]
    [InlineData("model:\n  decode_head:\n    dilations: 12\n", "test.yaml:3: 'model.decode_head.dilations' expects a list of integers, got '12'")]
    [InlineData("model:\n  decode_head:\n    dilations: [1, x]\n", "'model.decode_head.dilations.1' expects an integer, got 'x'")]
    [InlineData("model:\n  backbone: resnet50\n", "test.yaml:2: 'model.backbone' expects a mapping, got 'resnet50'")]
    [InlineData("model:\n  num_classes: null\n", "'model.num_classes' expects an integer, got null")]
    [InlineData("train:\n  work_dir: [a]\n", "'train.work_dir' expects a string, got a list")]
    [InlineData("data:\n  train_pipeline:\n    crop_size: [512]\n", "test.yaml:3: 'data.train_pipeline.crop_size' expects two integers [h, w], got a list of 1 item")]
    [InlineData("test:\n  stride: 341\n", "test.yaml:2: 'test.stride' expects two integers [h, w], got '341'")]
    [InlineData("model:\n  decode_head:\n    type: isa\n    down_factor: [8, x]\n", "'model.decode_head.down_factor.1' expects an integer, got 'x'")]
    public void WrongTypeNamesKeyExpectedTypeAndValue(string yaml, string expected)
    {
        var message = LoadError(yaml);
        Assert.Contains(expected, message);
        Assert.Contains("fix:", message);
    }

    [Fact]
    public void DuplicateKeyIsAnError()
    {
        var message = LoadError("optimizer:\n  lr: 1\n  lr: 2\n");
        Assert.Contains("test.yaml:3", message);
        Assert.Contains("lr", message);
    }

    [Fact]
    public void MissingBaseFileNamesTheIncludingFile()
    {
        var dir = WriteTree(("exp/child.yaml", "_base_:\n  - ../_base_/nope.yaml\n"));
        var message = Assert.Throws<SegmenterException>(() => ConfigLoader.Load(Path.Combine(dir, "exp", "child.yaml"))).Message;
        Assert.Contains("child.yaml:2", message);
        Assert.Contains("base config '../_base_/nope.yaml' not found", message);
    }

    [Fact]
    public void CyclicBasesAreReported()
    {
        var dir = WriteTree(("a.yaml", "_base_: b.yaml\n"), ("b.yaml", "_base_: [a.yaml]\n"));
        var message = Assert.Throws<SegmenterException>(() => ConfigLoader.Load(Path.Combine(dir, "a.yaml"))).Message;
        Assert.Contains("cyclic _base_", message);
        Assert.Contains("a.yaml -> ", message);

        var self = WriteTree(("s.yaml", "_base_: s.yaml\n"));
        Assert.Contains("cyclic _base_", Assert.Throws<SegmenterException>(() => ConfigLoader.Load(Path.Combine(self, "s.yaml"))).Message);
    }

    [Fact]
    public void MissingConfigFileIsReported()
    {
        var message = Assert.Throws<SegmenterException>(() => ConfigLoader.Load("no_such_config_xyz.yaml")).Message;
        Assert.Contains("config file 'no_such_config_xyz.yaml' not found", message);
        Assert.Contains("configs", message);
    }

    [Fact]
    public void BadBaseAndDeleteValuesAreReported()
    {
        Assert.Contains("_base_ must be a file path", LoadError("_base_: {a: 1}\n"));
        Assert.Contains("_delete_ must be true or false", LoadError("model:\n  _delete_: maybe\n"));
        Assert.Contains("unknown key 'model._base_'", LoadError("model:\n  _base_: x.yaml\n"));
    }

    [Theory]
    [InlineData("model.backbone.depth=42", "model.backbone.depth is 42", "18, 34, 50, 101")]
    [InlineData("model.backbone.output_stride=4", "model.backbone.output_stride is 4", "8, 16, 32")]
    [InlineData("model.num_classes=0", "model.num_classes is 0", ">= 1")]
    [InlineData("data.train_pipeline.crop_size=[0, 5]", "data.train_pipeline.crop_size is [0, 5]", "two integers >= 1")]
    [InlineData("data.mean=[1, 2]", "data.mean is [1.0, 2.0]", "three numbers")]
    [InlineData("data.std=[1, 2, 3, 4]", "data.std is", "three numbers")]
    [InlineData("optimizer.type=adam", "optimizer.type is adam", "sgd, adamw, radam")]
    [InlineData("model.decode_head.type=aspp", "model.decode_head.type is aspp", "deeplabv3plus, fcn")]
    [InlineData("model.aux_head.type=psp", "model.aux_head.type is psp", "fcn")]
    [InlineData("model.backbone.attention.type=se", "model.backbone.attention.type is se", "none, psa")]
    [InlineData("model.backbone.attention.layout=mixed", "model.backbone.attention.layout is mixed", "parallel, sequential")]
    [InlineData("data.type=coco", "data.type is coco", "voc, folder")]
    [InlineData("test.mode=tta", "test.mode is tta", "whole, slide")]
    [InlineData("schedule.max_iters=0", "schedule.max_iters is 0", "> 0")]
    [InlineData("data.batch_size=0", "data.batch_size is 0", ">= 1")]
    [InlineData("optimizer.lr=0", "optimizer.lr is 0.0", "> 0")]
    [InlineData("data.class_names=[a, b]", "data.class_names is a list of 2 names", "model.num_classes = 21")]
    [InlineData("train.device=gpu", "train.device is gpu", "cpu, cuda or cuda:N")]
    public void ValidationNamesKeyAndAllowedValues(string option, string what, string allowed)
    {
        var message = LoadError("", option);
        Assert.StartsWith("test.yaml: ", message);
        Assert.Contains(what, message);
        Assert.Contains(allowed, message);
    }
}
