using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Data.Synth;
using Segmenter.Evaluation;
using Segmenter.Inference;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Evaluation;

/// <summary>
/// Issue #24: test.mode, test.scales and test.flip apply to panoptic models. `segment eval` (PanopticInference.Evaluate)
/// and `segment predict` (PanopticPredictor) with multi-scale + flip TTA or sliding windows give exactly what a
/// brute-force reference written here from the stated rules gives: the model run by hand per scale / flip / window,
/// semantic softmax probabilities, centre heatmaps and offsets (flipped back with dx negated, resized with align_corners
/// and scaled by (H0−1)/(h−1)) averaged, windows averaged per pixel, then post-processed once; and they differ from
/// whole-image inference without TTA.
/// In the non-parallel "cli" collection: the weights come from torch's global RNG, which tests running beside it would draw from.
/// </summary>
[Collection("cli")]
public class PanopticTtaTests
{
    /// <summary>The smoke Panoptic-DeepLab on a small synthetic Cityscapes-layout set (96x48, 2 val images), decoder weights
    /// re-drawn larger so the untrained heads give varied classes, centres and offsets; every centre above −1 counts.</summary>
    private static (PanopticDeepLab Model, ExperimentConfig Cfg, PanopticDataset Val, string Dir) Setup(string name)
    {
        var dir = TestPaths.NewTempDir(name);
        var synth = PanopticSynth.Generate(dir, "cityscapes-panoptic", count: 8, size: 96, seed: 3);
        var cfg = ConfigLoader.Load(Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml"), [$"data.root={synth.Root}"]);
        cfg = cfg with { Model = cfg.Model with { Panoptic = cfg.Model.Panoptic with { CenterThreshold = -1, TopK = 6, StuffArea = 0 } } };
        manual_seed(5);
        var model = ModelFactory.CreatePanoptic(cfg.Model, ModelFactory.InputSizeOf(cfg));
        using (no_grad())
            foreach (var (_, p) in model.Decoder.named_parameters())
                p.normal_(0, 0.2);
        model.eval();
        return (model, cfg, DatasetFactory.CreatePanoptic(cfg, train: false), dir);
    }

    private sealed class Recorder : IPanopticImageObserver
    {
        public Dictionary<int, int[]> Maps { get; } = new();
        public Dictionary<int, (float[] Semantic, float[] Center, float[] Offset)> Outputs { get; } = new();

        public void OnOutputs(int index, PanopticIdMap truth, Tensor semantic, Tensor center, Tensor offset) =>
            Outputs[index] = (semantic.contiguous().data<float>().ToArray(), center.contiguous().data<float>().ToArray(), offset.contiguous().data<float>().ToArray());

        public void OnPrediction(int index, Sample sample, PanopticIdMap truth, PanopticIdMap prediction, IReadOnlyList<PanopticSegment> segments) =>
            Maps[index] = prediction.Ids;
    }

    private static Recorder Evaluate(PanopticDeepLab model, ExperimentConfig cfg, PanopticDataset val)
    {
        var recorder = new Recorder();
        PanopticInference.Evaluate(model, cfg, val, CPU, observer: recorder);
        Assert.Equal(val.Count, recorder.Maps.Count);
        return recorder;
    }

    /// <summary>Resizes (bilinear, align_corners=True, as Panoptic-DeepLab) to h x w; offsets also scaled by (h−1)/(in−1) per axis.</summary>
    private static Tensor Resize(Tensor x, long h, long w, bool isOffset)
    {
        long inH = x.shape[2], inW = x.shape[3];
        if (inH == h && inW == w) return x;
        var r = nn.functional.interpolate(x, [h, w], mode: InterpolationMode.Bilinear, align_corners: true);
        if (!isOffset) return r;
        using var scale = tensor(new[] { (float)((h - 1.0) / (inH - 1)), (float)((w - 1.0) / (inW - 1)) }).reshape(1, 2, 1, 1);
        return r * scale;
    }

    /// <summary>The brute-force reference: one image's three outputs at the original size from passes run by hand.</summary>
    private static (Tensor Semantic, Tensor Center, Tensor Offset) Reference(PanopticDeepLab model, Tensor image, double[] scales, bool flip,
        (int[] Ys, int[] Xs, int H, int W)? windows, long h0, long w0)
    {
        (Tensor, Tensor, Tensor) Run(Tensor x)
        {
            if (windows is not { } win) return model.Predict(x);
            // Windows listed by hand; every output summed into its place, divided by how many windows cover the pixel.
            long h = x.shape[2], w = x.shape[3];
            var s = zeros(1, model.NumClasses, h, w); var c = zeros(1, 1, h, w); var o = zeros(1, 2, h, w); var n = zeros(1, 1, h, w);
            foreach (var y in win.Ys)
                foreach (var xx in win.Xs)
                {
                    var (ps, pc, po) = model.Predict(x[.., .., y..(y + win.H), xx..(xx + win.W)]);
                    s[.., .., y..(y + win.H), xx..(xx + win.W)] += ps;
                    c[.., .., y..(y + win.H), xx..(xx + win.W)] += pc;
                    o[.., .., y..(y + win.H), xx..(xx + win.W)] += po;
                    n[.., .., y..(y + win.H), xx..(xx + win.W)] += 1;
                }
            return (s / n, c / n, o / n);
        }

        bool tta = flip || scales.Length != 1 || scales[0] != 1.0;
        Tensor? sem = null, cen = null, off = null;
        int passes = 0;
        long ih = image.shape[2], iw = image.shape[3];
        foreach (var ratio in scales)
        {
            long sh = (long)Math.Round(ih * ratio), sw = (long)Math.Round(iw * ratio);
            var scaled = sh == ih && sw == iw ? image : nn.functional.interpolate(image, [sh, sw], mode: InterpolationMode.Bilinear, align_corners: false);
            foreach (var f in flip ? new[] { false, true } : new[] { false })
            {
                var (s, c, o) = Run(f ? scaled.flip(3) : scaled);
                if (f)
                {
                    using var negateX = tensor(new[] { 1f, -1f }).reshape(1, 2, 1, 1);
                    s = s.flip(3); c = c.flip(3); o = o.flip(3) * negateX;
                }
                s = Resize(s, h0, w0, false); c = Resize(c, h0, w0, false); o = Resize(o, h0, w0, true);
                if (tta) s = s.softmax(1);
                sem = sem is null ? s : sem + s; cen = cen is null ? c : cen + c; off = off is null ? o : off + o;
                passes++;
            }
        }
        return (sem! / passes, cen! / passes, off! / passes);
    }

    private static void AssertEqualsReference(PanopticDeepLab model, ExperimentConfig cfg, PanopticDataset val, Recorder actual,
        double[] scales, bool flip, (int[] Ys, int[] Xs, int H, int W)? windows)
    {
        var post = new PanopticPostProcessor(val.Classes.IsThing, PanopticInference.PostProcessOptions(cfg.Model.Panoptic));
        var transform = new TestTransform(cfg.Data);
        for (int i = 0; i < val.Count; i++)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var t = transform.Apply(val.Load(i));
            var (s, c, o) = Reference(model, t.ImageTensor(CPU), scales, flip, windows, t.OrigHeight, t.OrigWidth);
            var got = actual.Outputs[i];
            var logits = flip || scales.Length != 1 || scales[0] != 1.0 ? s.clamp_min(1e-12).log() : s;
            Assert.True(tensor(got.Semantic).allclose(logits.reshape(-1), 1e-5, 1e-5), $"image {i}: semantic");
            Assert.True(tensor(got.Center).allclose(c.reshape(-1), 1e-5, 1e-5), $"image {i}: center");
            Assert.True(tensor(got.Offset).allclose(o.reshape(-1), 1e-4, 1e-4), $"image {i}: offset");
            var labels = s[0].argmax(0).to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
            var (map, segments) = post.Process(labels, c[0], o[0]).ToCocoFormat(val.Classes);
            Assert.Contains(segments, x => val.Classes.IsThing[val.Classes.ClassOf(x.CategoryId)]); // grouping took part
            Assert.Equal(map.Ids, actual.Maps[i]);
        }
    }

    [Fact]
    public void MultiScaleFlipTtaAveragesProbabilitiesCentresAndOffsetsThenPostProcessesOnce()
    {
        var (model, cfg, val, _) = Setup("ptta");
        using var _ = model;
        double[] scales = [0.75, 1.0, 1.25];
        var plain = Evaluate(model, cfg, val);
        var tta = Evaluate(model, cfg with { Test = cfg.Test with { Scales = [.. scales], Flip = true } }, val);
        AssertEqualsReference(model, cfg, val, plain, [1.0], false, null);
        AssertEqualsReference(model, cfg, val, tta, scales, true, null);
        Assert.Contains(Enumerable.Range(0, val.Count), i => !plain.Maps[i].SequenceEqual(tta.Maps[i]));

        // Flip alone and scales alone each apply too.
        var flipOnly = Evaluate(model, cfg with { Test = cfg.Test with { Flip = true } }, val);
        AssertEqualsReference(model, cfg, val, flipOnly, [1.0], true, null);
        var scalesOnly = Evaluate(model, cfg with { Test = cfg.Test with { Scales = [0.5, 1.5] } }, val);
        AssertEqualsReference(model, cfg, val, scalesOnly, [0.5, 1.5], false, null);
        Assert.Contains(Enumerable.Range(0, val.Count), i => !plain.Maps[i].SequenceEqual(flipOnly.Maps[i]));
        Assert.Contains(Enumerable.Range(0, val.Count), i => !plain.Maps[i].SequenceEqual(scalesOnly.Maps[i]));
    }

    [Fact]
    public void SlidingWindowsAverageEveryOutputPerPixel()
    {
        var (model, cfg, val, _) = Setup("pslide");
        using var _ = model;
        // 48x96 images, 32x48 windows every 16 / 32 px: rows start at 0 and 16, columns at 0, 32 and 48 (the last one clamped to the border).
        var slide = cfg with { Test = cfg.Test with { Mode = "slide", CropSize = new SizePair(32, 48), Stride = new SizePair(16, 32) } };
        var plain = Evaluate(model, cfg, val);
        var windows = Evaluate(model, slide, val);
        AssertEqualsReference(model, cfg, val, windows, [1.0], false, ([0, 16], [0, 32, 48], 32, 48));
        Assert.Contains(Enumerable.Range(0, val.Count), i => !plain.Maps[i].SequenceEqual(windows.Maps[i]));

        // Slide and TTA together: every scaled / flipped pass is itself a set of windows.
        var both = Evaluate(model, slide with { Test = slide.Test with { Flip = true } }, val);
        AssertEqualsReference(model, cfg, val, both, [1.0], true, ([0, 16], [0, 32, 48], 32, 48));
    }

    [Fact]
    public void PredictWithTtaWritesWhatEvalPredicts()
    {
        var (model, cfg, val, dir) = Setup("ppredict");
        using var _ = model;
        var tta = cfg with { Test = cfg.Test with { Scales = [0.75, 1.25], Flip = true } };
        var eval = Evaluate(model, tta, val);
        var input = Path.Combine(dir, "input");
        Directory.CreateDirectory(input);
        foreach (var item in val.Items) File.Copy(item.ImagePath, Path.Combine(input, item.Id + Path.GetExtension(item.ImagePath)));
        var output = Path.Combine(dir, "out");
        Assert.Equal(val.Count, PanopticPredictor.Run(model, tta, val.Classes, input, output, CPU));
        for (int i = 0; i < val.Count; i++)
            Assert.Equal(eval.Maps[i], PanopticIdMap.ReadRgbPng(Path.Combine(output, "panoptic", val.Items[i].Id + ".png")).Ids);
    }
}
