using Segmenter.Config;
using Segmenter.Export;
using Segmenter.Inference;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Tests.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Segmenter.Tests.Export.OnnxTestKit;

namespace Segmenter.Tests.Export;

/// <summary>
/// ONNX export of the semantic families: the exported graph run by ONNX Runtime gives TorchSharp's logits (1e-4
/// relative, argmax ≥ 99.99 %) on small random-weight models with random BatchNorm statistics, fixed-size and
/// --dynamic, and passes onnx.checker where python3-onnx is installed.
/// </summary>
public sealed class OnnxSemanticExportTests(ITestOutputHelper log)
{
    public static TheoryData<string, string, bool> DeepLabCases => new()
    {
        { "none", "parallel", false },
        { "psa", "parallel", false },
        { "psa", "sequential", true },
    };

    [Theory]
    [MemberData(nameof(DeepLabCases))]
    public void DeepLabV3PlusResNet18MatchesTorchSharp(string attention, string layout, bool dynamic)
    {
        var cfg = ModelTestUtil.TinyDeepLab(numClasses: 5, os: 8, attention: attention) with { };
        cfg = cfg with { Backbone = cfg.Backbone with { Attention = new AttentionConfig { Type = attention, Layout = layout } } };
        CheckSemantic(cfg, 64, 64, dynamic, seed: 11, extraSizes: dynamic ? [(48, 80)] : []);
    }

    [Fact]
    public void DeepLabV3PlusResNet50AlignCornersMatchesTorchSharp()
    {
        var cfg = new ModelConfig
        {
            NumClasses = 4,
            Backbone = ModelTestUtil.Backbone(50, 16, deepStem: true),
            DecodeHead = new DecodeHeadConfig { Channels = 16, Dilations = [1, 2], C1Channels = 8, AlignCorners = true },
        };
        CheckSemantic(cfg, 64, 64, dynamic: false, seed: 12, extraSizes: []);
    }

    [Fact]
    public void IsaHeadWithPaddedGroupsMatchesTorchSharp()
    {
        // 64x64 at output stride 8 is an 8x8 feature; groups of 3x3 make the interlacing pad it to 9x9 and crop back.
        var cfg = new ModelConfig
        {
            NumClasses = 5,
            Backbone = ModelTestUtil.Backbone(18, 8),
            DecodeHead = new DecodeHeadConfig { Type = "isa", InIndex = 3, Channels = 16, IsaChannels = 8, DownFactor = [3, 3] },
        };
        CheckSemantic(cfg, 64, 64, dynamic: true, seed: 13, extraSizes: [(48, 80)]);
    }

    [Fact]
    public void FcnDecodeHeadMatchesTorchSharp()
    {
        var cfg = new ModelConfig
        {
            NumClasses = 3,
            Backbone = ModelTestUtil.Backbone(18, 8),
            DecodeHead = new DecodeHeadConfig { Type = "fcn", InIndex = 3, Channels = 16 },
        };
        CheckSemantic(cfg, 64, 64, dynamic: false, seed: 14, extraSizes: []);
    }

    private void CheckSemantic(ModelConfig cfg, int h, int w, bool dynamic, long seed, (int H, int W)[] extraSizes)
    {
        var dir = TestPaths.NewTempDir("onnx");
        manual_seed(seed);
        using var model = (EncoderDecoder)ModelFactory.Create(cfg);
        RandomiseBatchNorms(model, seed);
        model.eval();
        var path = Path.Combine(dir, "model.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, new OnnxExportOptions { Height = h, Width = w, Dynamic = dynamic, Mean = Mean, Std = Std }), path);
        CheckWithOnnxChecker(path, log);

        using var ort = new OnnxRuntimeModel(path);
        Assert.Equal(dynamic ? null : (h, w), ort.FixedSize);
        using var seg = new OnnxSegmentor(ort);
        foreach (var (ih, iw) in new[] { (h, w) }.Concat(extraSizes))
        {
            using var scope = NewDisposeScope();
            var raw = RawImage(2, ih, iw, seed);
            Tensor expected;
            using (no_grad()) expected = model.Logits(Normalise(raw));
            var actual = seg.Logits(raw);
            AssertClose(expected, actual, $"{cfg.DecodeHead.Type} R{cfg.Backbone.Depth} psa={cfg.Backbone.Attention.Type}/{cfg.Backbone.Attention.Layout} {ih}x{iw}", log);
        }
    }

    [Fact]
    public void FixedSizeModelRejectsOtherSizesWithAFix()
    {
        var dir = TestPaths.NewTempDir("onnx");
        manual_seed(1);
        using var model = (EncoderDecoder)ModelFactory.Create(ModelTestUtil.TinyDeepLab());
        model.eval();
        var path = Path.Combine(dir, "model.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, new OnnxExportOptions { Height = 64, Width = 64, Mean = Mean, Std = Std }), path);
        using var ort = new OnnxRuntimeModel(path);
        var e = Assert.Throws<SegmenterException>(() => ort.Run(zeros(1, 3, 32, 64)));
        Assert.Contains("--dynamic", e.Message);
    }
}
