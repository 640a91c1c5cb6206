using Segmenter.Config;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Turns one normalised image into a model's outputs at the original size, by whole-image or sliding-window inference
/// and optional test-time augmentation (test.scales, test.flip). One implementation over named outputs
/// (<see cref="Segmentor.Forward"/>, <see cref="OutputSpec"/>) serves semantic models ("logits") and panoptic models
/// ("semantic", "center", "offset"): sliding windows as mmseg EncoderDecoder.slide_inference (overlapping windows, the
/// last one clamped to the border, outputs summed and divided by the per-pixel window count); scales and flips as mmseg
/// aug_test and DeepLab2 DeepLab.call (see <see cref="Outputs"/>).
/// </summary>
public static class SegmentationInference
{
    /// <summary>Logits [1, C, H, W] for a [1, 3, H, W] image, at the image's resolution.</summary>
    public static Tensor Logits(Segmentor model, Tensor image, TestConfig test) =>
        test.Mode == "whole" ? model.Logits(image) : AtInputSize(SemanticForward(model), image, test)[Segmentor.LogitsOutput];

    public static Tensor Slide(Segmentor model, Tensor image, int cropH, int cropW, int strideH, int strideW) =>
        Slide(SemanticForward(model), image, cropH, cropW, strideH, strideW)[Segmentor.LogitsOutput];

    /// <summary>The class logits of any model as a one-output forward ("logits"), for the semantic entry points.</summary>
    private static NamedForward SemanticForward(Segmentor model) =>
        images => new Dictionary<string, Tensor> { [Segmentor.LogitsOutput] = model.Logits(images) };

    /// <summary>A forward's outputs at the input's resolution: one pass (whole) or sliding windows (slide).</summary>
    public static Dictionary<string, Tensor> AtInputSize(NamedForward forward, Tensor image, TestConfig test)
    {
        return test.Mode switch
        {
            "whole" => new Dictionary<string, Tensor>(forward(image)),
            "slide" => Slide(forward, image, test.CropSize.H, test.CropSize.W, test.Stride.H, test.Stride.W),
            _ => throw new SegmenterException($"unknown test mode '{test.Mode}'", "test.mode", "use whole or slide"),
        };
    }

    /// <summary>
    /// Sliding-window outputs (mmseg slide_inference): every output of every window is added into its place and the
    /// sums divided by the per-pixel window count. Offsets average like the other outputs: a window's offsets point
    /// from each pixel to its centre in pixels of the window, which are pixels of the whole image.
    /// </summary>
    public static Dictionary<string, Tensor> Slide(NamedForward forward, Tensor image, int cropH, int cropW, int strideH, int strideW)
    {
        long n = image.shape[0], h = image.shape[2], w = image.shape[3];
        long gridsH = Math.Max(h - cropH + strideH - 1, 0) / strideH + 1;
        long gridsW = Math.Max(w - cropW + strideW - 1, 0) / strideW + 1;
        var sums = new Dictionary<string, Tensor>();
        var count = zeros(new long[] { n, 1, h, w }, image.dtype, image.device);
        for (long gy = 0; gy < gridsH; gy++)
            for (long gx = 0; gx < gridsW; gx++)
            {
                using var scope = NewDisposeScope();
                long y2 = Math.Min(gy * strideH + cropH, h), x2 = Math.Min(gx * strideW + cropW, w);
                long y1 = Math.Max(y2 - cropH, 0), x1 = Math.Max(x2 - cropW, 0);
                var crop = image.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1);
                foreach (var (name, output) in forward(crop))
                {
                    if (!sums.TryGetValue(name, out var sum))
                        sums[name] = sum = zeros(new long[] { n, output.shape[1], h, w }, image.dtype, image.device).MoveToOuterDisposeScope();
                    sum.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).add_(output);
                }
                count.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1).add_(HeldScalars.One, HeldScalars.One); // held Scalars, not implicit ones (see HeldScalars)
            }
        foreach (var sum in sums.Values) sum.div_(count);
        return sums;
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
        var outputs = Outputs(SemanticForward(model), Segmentor.SemanticOutputSpecs, image, test, origHeight, origWidth, alignCorners);
        return outputs[Segmentor.LogitsOutput].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every output of <paramref name="specs"/> at the original size [1, *, H0, W0], whole or slide (test.mode), with
    /// test-time augmentation when test.scales / test.flip ask for it. Without TTA each output is resized to the original
    /// size (offsets scaled with it). With TTA, for every scale ratio r the input is resized to r·(h, w) (bilinear, on
    /// the normalised tensor) and optionally also flipped; each pass's outputs are flipped back (offsets' dx negated),
    /// resized to the original size (offsets scaled by the resize factor), class logits turned into softmax
    /// probabilities, and every output averaged over the passes: mmseg aug_test for the class scores, and for
    /// Panoptic-DeepLab what DeepLab2 (model/deeplab.py DeepLab.call with eval_scales / add_flipped_images) and
    /// bowenc0221's tools (segmentation/utils/test_utils.py multi_scale_inference) do: average the semantic
    /// probabilities, centre heatmaps and offsets, then post-process once.
    /// </summary>
    /// <param name="alignCorners">Bilinear mode of the resize to the original size (semantic: the decode head's; Panoptic-DeepLab: true).</param>
    public static Dictionary<string, Tensor> Outputs(NamedForward forward, IReadOnlyList<OutputSpec> specs, Tensor image, TestConfig test,
        int origHeight, int origWidth, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        using var held = new HeldScalars();
        var result = new Dictionary<string, Tensor>();
        if (!UsesTta(test))
        {
            var outputs = AtInputSize(forward, image, test);
            foreach (var spec in specs)
                result[spec.Name] = ResizeTo(spec.Kind, Output(outputs, spec), origHeight, origWidth, alignCorners, held).MoveToOuterDisposeScope();
            return result;
        }
        long h = image.shape[2], w = image.shape[3];
        int passes = 0;
        foreach (var ratio in test.Scales)
        {
            long sh = Math.Max(1, (long)Math.Round(h * ratio)), sw = Math.Max(1, (long)Math.Round(w * ratio));
            var scaled = sh == h && sw == w ? image
                : nn.functional.interpolate(image, new[] { sh, sw }, mode: InterpolationMode.Bilinear, align_corners: false);
            foreach (var flip in test.Flip ? new[] { false, true } : new[] { false })
            {
                using var pass = NewDisposeScope();
                var outputs = AtInputSize(forward, flip ? scaled.flip(3) : scaled, test);
                foreach (var spec in specs)
                {
                    var x = Output(outputs, spec);
                    if (flip) x = FlipBack(spec.Kind, x);
                    x = ResizeTo(spec.Kind, x, origHeight, origWidth, alignCorners, held);
                    if (spec.Kind == OutputKind.ClassLogits) x = x.softmax(1);
                    if (result.TryGetValue(spec.Name, out var sum)) sum.add_(x);
                    else result[spec.Name] = x.MoveToOuterDisposeScope();
                }
                passes++;
            }
        }
        var divisor = held.Of(passes);
        foreach (var sum in result.Values) sum.div_(divisor).MoveToOuterDisposeScope();
        return result;
    }

    private static Tensor Output(IReadOnlyDictionary<string, Tensor> outputs, OutputSpec spec) =>
        outputs.TryGetValue(spec.Name, out var x) ? x
            : throw new SegmenterException($"the model has no output '{spec.Name}' (it has {string.Join(", ", outputs.Keys)})", "inference",
                "use a model (or ONNX export) of the config's model.type");

    /// <summary>A flipped pass's output in the unflipped image's frame: mirrored back; an offset's dx points the other way.</summary>
    private static Tensor FlipBack(OutputKind kind, Tensor x)
    {
        x = x.flip(3);
        return kind == OutputKind.Offset ? cat([x.narrow(1, 0, 1), x.narrow(1, 1, 1).neg()], 1) : x;
    }

    /// <summary>
    /// Bilinear resize to (h, w); offsets are also scaled by the resize factor, (H−1)/(h−1) per axis with align_corners
    /// (the corner pixels map onto each other, as PanopticDeepLab.Predict and DeepLab2 resize_and_rescale_offsets), H/h without.
    /// </summary>
    private static Tensor ResizeTo(OutputKind kind, Tensor x, int h, int w, bool alignCorners, HeldScalars held)
    {
        long inH = x.shape[2], inW = x.shape[3];
        var resized = ResizeTo(x, h, w, alignCorners);
        if (kind != OutputKind.Offset || (inH == h && inW == w)) return resized;
        double sy = alignCorners ? (h - 1.0) / Math.Max(1, inH - 1) : h / (double)inH;
        double sx = alignCorners ? (w - 1.0) / Math.Max(1, inW - 1) : w / (double)inW;
        return cat([resized.narrow(1, 0, 1).mul(held.Of(sy)), resized.narrow(1, 1, 1).mul(held.Of(sx))], 1);
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
