using Segmenter.Tests.Models;
using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Evaluation;

/// <summary>Whole vs sliding-window inference, and multi-scale + flip test-time augmentation.</summary>
public class InferenceModeTests
{
    /// <summary>A per-pixel classifier (1x1 conv): no context, so it commutes with cropping, flipping and (for constant regions) scaling.</summary>
    private sealed class PointwiseSegmentor : Segmentor
    {
        private readonly Conv2dLayer conv;

        public PointwiseSegmentor(int numClasses) : base(nameof(PointwiseSegmentor))
        {
            conv = Conv2dLayer.Create(3, numClasses, 1);
            RegisterComponents();
        }

        public override int NumClasses => (int)conv.weight!.shape[0];
        public override Tensor Logits(Tensor images) => conv.forward(images);
        public override Dictionary<string, Tensor> ComputeLosses(Segmenter.Data.TrainingBatch batch) => throw new NotSupportedException();
    }

    [Fact]
    public void SlideEqualsWholeWhenOneWindowCoversTheImage()
    {
        torch.manual_seed(0);
        using var model = ModelFactory.Create(IsaDecodeHeadTests.TinyIsa());
        model.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 48, 80);
        using var whole = SegmentationInference.Logits(model, image, new TestConfig { Mode = "whole" });
        using var slide = SegmentationInference.Logits(model, image, new TestConfig { Mode = "slide", CropSize = [64, 96], Stride = [32, 32] });
        Assert.True(whole.allclose(slide, 1e-6, 1e-6));
    }

    [Fact]
    public void OverlappingWindowsAverageToTheWholeImageForAContextFreeModel()
    {
        torch.manual_seed(0);
        using var model = new PointwiseSegmentor(4);
        using var _ = no_grad();
        using var image = randn(1, 3, 50, 70);
        using var whole = SegmentationInference.Logits(model, image, new TestConfig { Mode = "whole" });
        using var slide = SegmentationInference.Logits(model, image, new TestConfig { Mode = "slide", CropSize = [20, 30], Stride = [13, 17] });
        Assert.True(whole.allclose(slide, 1e-5, 1e-5));
    }

    [Fact]
    public void FlipTtaOfAFlipEquivariantModelEqualsNoTta()
    {
        torch.manual_seed(0);
        using var model = new PointwiseSegmentor(5);
        using var _ = no_grad();
        using var image = randn(1, 3, 20, 30);
        var plain = new TestConfig();
        var flip = new TestConfig { Flip = true };
        Assert.False(SegmentationInference.UsesTta(plain));
        Assert.True(SegmentationInference.UsesTta(flip));
        using var logits = SegmentationInference.Scores(model, image, plain, 20, 30, false);
        using var probs = SegmentationInference.Scores(model, image, flip, 20, 30, false);
        Assert.True(probs.allclose(logits.softmax(1), 1e-5, 1e-6));
        Assert.Equal(SegmentationInference.Predict(model, image, plain, 20, 30, false), SegmentationInference.Predict(model, image, flip, 20, 30, false));
    }

    [Fact]
    public void FlipTtaAveragesTheFlippedBackPassAsMmseg()
    {
        torch.manual_seed(0);
        using var model = ModelFactory.Create(IsaDecodeHeadTests.TinyIsa(numClasses: 3));
        model.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 32, 48);
        using var expected = (model.Logits(image).softmax(1) + model.Logits(image.flip(3)).flip(3).softmax(1)) / 2;
        using var probs = SegmentationInference.Scores(model, image, new TestConfig { Flip = true }, 32, 48, false);
        Assert.True(probs.allclose(expected, 1e-5, 1e-6));
    }

    [Fact]
    public void MultiScaleTtaGivesProbabilitiesAtTheOriginalSize()
    {
        torch.manual_seed(0);
        using var model = ModelFactory.Create(IsaDecodeHeadTests.TinyIsa(numClasses: 3));
        model.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 32, 48);
        var test = new TestConfig { Scales = [0.5, 1.0, 1.5], Flip = true, Mode = "slide", CropSize = [32, 32], Stride = [24, 24] };
        using var probs = SegmentationInference.Scores(model, image, test, 40, 60, true);
        Assert.Equal(new long[] { 1, 3, 40, 60 }, probs.shape);
        Assert.True(probs.sum(1).allclose(ones(1, 40, 60), 1e-5, 1e-5));
        Assert.True(probs.min().item<float>() >= 0);
        Assert.Equal(40 * 60, SegmentationInference.Predict(model, image, test, 40, 60, true).Length);
    }
}
