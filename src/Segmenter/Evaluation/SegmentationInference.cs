using Segmenter.Config;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Turns one normalised image into class logits or a label map, by whole-image or sliding-window inference
/// (mmseg EncoderDecoder.slide_inference: overlapping windows, the last one clamped to the border, logits
/// summed and divided by the per-pixel window count).
/// </summary>
public static class SegmentationInference
{
    /// <summary>Logits [1, C, H, W] for a [1, 3, H, W] image, at the image's resolution.</summary>
    public static Tensor Logits(Segmentor model, Tensor image, TestConfig test)
    {
        return test.Mode switch
        {
            "whole" => model.Logits(image),
            "slide" => Slide(model, image, test.CropSize.H, test.CropSize.W, test.Stride.H, test.Stride.W),
            _ => throw new SegmenterException($"unknown test mode '{test.Mode}'", "test.mode", "use whole or slide"),
        };
    }

    public static Tensor Slide(Segmentor model, Tensor image, int cropH, int cropW, int strideH, int strideW)
    {
        long n = image.shape[0], h = image.shape[2], w = image.shape[3];
        int c = model.NumClasses;
        long gridsH = Math.Max(h - cropH + strideH - 1, 0) / strideH + 1;
        long gridsW = Math.Max(w - cropW + strideW - 1, 0) / strideW + 1;
        var sum = zeros(new long[] { n, c, h, w }, image.dtype, image.device);
        var count = zeros(new long[] { n, 1, h, w }, image.dtype, image.device);
        for (long gy = 0; gy < gridsH; gy++)
            for (long gx = 0; gx < gridsW; gx++)
            {
                using var scope = NewDisposeScope();
                long y2 = Math.Min(gy * strideH + cropH, h), x2 = Math.Min(gx * strideW + cropW, w);
                long y1 = Math.Max(y2 - cropH, 0), x1 = Math.Max(x2 - cropW, 0);
                var crop = image.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1);
                var logits = model.Logits(crop);
                sum.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).add_(logits);
                count.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).add_(HeldScalars.One, HeldScalars.One); // held Scalars, not implicit ones (see HeldScalars)
            }
        return sum.div_(count);
    }

    /// <summary>
    /// True when the test config asks for test-time augmentation: a scale other than a single 1.0, or flip.
    /// </summary>
    public static bool UsesTta(TestConfig test) => test.Flip || test.Scales.Count != 1 || test.Scales[0] != 1.0;

    /// <summary>
    /// Class scores [1, C, H0, W0] at the original size. Without TTA: the logits (whole or slide) resized to the
    /// original size. With TTA (test.scales, test.flip), as mmseg aug_test: for every scale ratio r the input is
    /// resized to r·(h, w) (bilinear, on the normalised tensor), optionally also flipped; each pass's logits (whole or
    /// slide) are flipped back, resized to the original size and turned into softmax probabilities, and the
    /// probabilities are averaged over all passes.
    /// </summary>
    public static Tensor Scores(Segmentor model, Tensor image, TestConfig test, int origHeight, int origWidth, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        if (!UsesTta(test))
            return ResizeTo(Logits(model, image, test), origHeight, origWidth, alignCorners).MoveToOuterDisposeScope();
        long h = image.shape[2], w = image.shape[3];
        Tensor? sum = null;
        int passes = 0;
        foreach (var ratio in test.Scales)
        {
            long sh = Math.Max(1, (long)Math.Round(h * ratio)), sw = Math.Max(1, (long)Math.Round(w * ratio));
            var scaled = sh == h && sw == w ? image
                : nn.functional.interpolate(image, new[] { sh, sw }, mode: InterpolationMode.Bilinear, align_corners: false);
            foreach (var flip in test.Flip ? new[] { false, true } : new[] { false })
            {
                using var pass = NewDisposeScope();
                var logits = Logits(model, flip ? scaled.flip(3) : scaled, test);
                if (flip) logits = logits.flip(3);
                var probs = ResizeTo(logits, origHeight, origWidth, alignCorners).softmax(1);
                if (sum is null) sum = probs.MoveToOuterDisposeScope();
                else sum.add_(probs);
                passes++;
            }
        }
        using (var held = new HeldScalars()) sum!.div_(held.Of(passes));
        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>Class map [H0, W0] (bytes) at the original size: argmax of <see cref="Scores"/>.</summary>
    public static byte[] Predict(Segmentor model, Tensor image, TestConfig test, int origHeight, int origWidth, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var scores = Scores(model, image, test, origHeight, origWidth, alignCorners);
        return scores.argmax(1)[0].to(ScalarType.Byte).cpu().data<byte>().ToArray();
    }

    private static Tensor ResizeTo(Tensor x, int h, int w, bool alignCorners) =>
        x.shape[2] == h && x.shape[3] == w ? x
            : nn.functional.interpolate(x, new long[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: alignCorners);

    /// <summary>Class map [H0, W0] (bytes) at the original size, from logits at the (possibly resized) input size.</summary>
    public static byte[] ToLabels(Tensor logits, int origHeight, int origWidth, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var resized = logits.shape[2] == origHeight && logits.shape[3] == origWidth
            ? logits
            : nn.functional.interpolate(logits, new long[] { origHeight, origWidth }, mode: InterpolationMode.Bilinear, align_corners: alignCorners);
        var labels = resized.argmax(1)[0].to(ScalarType.Byte).cpu();
        return labels.data<byte>().ToArray();
    }
}
