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
            "slide" => Slide(model, image, test.CropSize[0], test.CropSize[1], test.Stride[0], test.Stride[1]),
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
                count.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).add_(1);
            }
        return sum.div_(count);
    }

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
