using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Evaluation;

/// <summary>
/// Panoptic-DeepLab post-processing (detectron2 get_panoptic_segmentation): centres = heatmap peaks above the
/// threshold that survive max-pool NMS, limited to the top-k; every thing pixel joins the centre nearest to where
/// its offset points; each instance takes the majority semantic class (smallest class on ties, like torch.mode);
/// stuff regions of at least StuffArea pixels keep their class; everything else is the void label.
/// </summary>
public sealed class PanopticPostProcessor
{
    private readonly bool[] _isThing;

    public PanopticPostProcessor(IReadOnlyList<bool> isThingClass, PanopticPostProcessOptions options)
    {
        if (options.NmsKernel < 1 || options.NmsKernel % 2 == 0)
            throw new SegmenterException($"nms_kernel is {options.NmsKernel}", "post-processing nms_kernel", "use an odd kernel size (7 by default)");
        if (options.LabelDivisor < 1)
            throw new SegmenterException($"label_divisor is {options.LabelDivisor}", "post-processing label_divisor", "use a positive divisor (1000 or 256)");
        _isThing = isThingClass.ToArray();
        Options = options;
    }

    public PanopticPostProcessOptions Options { get; }

    /// <summary>Peaks of a [H, W] (or [1, H, W]) heatmap: above the threshold, equal to their max-pooled value, top-k only. (y, x) in row-major order.</summary>
    public static List<(int Y, int X)> FindInstanceCenters(Tensor heatmap, double threshold, int nmsKernel, int topK)
    {
        using var scope = NewDisposeScope();
        var c = heatmap.detach().to(CPU).to_type(ScalarType.Float32);
        long h = c.shape[^2], w = c.shape[^1];
        c = c.reshape(1, 1, h, w);
        // F.threshold(x, thr, -1): values <= thr become -1; then non-maxima of the max-pool become -1.
        c = where(c > threshold, c, tensor(-1f));
        var pooled = nn.functional.max_pool2d(c, nmsKernel, 1, (nmsKernel - 1) / 2);
        c = where(c == pooled, c, tensor(-1f)).reshape(h * w);
        double floor = 0;
        if (topK > 0 && topK <= h * w)
            floor = Math.Max(0, c.topk(topK).values[topK - 1].item<float>());
        var keep = nonzero(c > floor).reshape(-1);
        var result = new List<(int, int)>((int)keep.shape[0]);
        foreach (var idx in keep.data<long>()) result.Add(((int)(idx / w), (int)(idx % w)));
        return result;
    }

    /// <summary>Post-processes one image from semantic logits [C, H, W], centre heatmap [1, H, W] and offsets [2, H, W] (y, x).</summary>
    public PanopticPrediction Process(Tensor semanticLogits, Tensor center, Tensor offset)
    {
        using var scope = NewDisposeScope();
        var sem = semanticLogits.detach().argmax(0).to(CPU).to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
        return Process(sem, center, offset);
    }

    /// <summary>Post-processes one image from per-pixel semantic classes (values outside 0..C-1 count as no class).</summary>
    public PanopticPrediction Process(int[] semantic, Tensor center, Tensor offset)
    {
        long h = center.shape[^2], w = center.shape[^1];
        if (semantic.Length != h * w || offset.shape[^2] != h || offset.shape[^1] != w || offset.numel() != 2 * h * w)
            throw new ArgumentException($"semantic ({semantic.Length} px), centre [{string.Join(",", center.shape)}] and offset [{string.Join(",", offset.shape)}] disagree");
        var centers = FindInstanceCenters(center, Options.CenterThreshold, Options.NmsKernel, Options.TopK);
        float[] off;
        using (var o = offset.detach().to(CPU).to_type(ScalarType.Float32).contiguous()) off = o.data<float>().ToArray();
        return Merge(semantic, (int)w, (int)h, centers, off);
    }

    private bool IsThing(int cls) => cls >= 0 && cls < _isThing.Length && _isThing[cls];

    private PanopticPrediction Merge(int[] semantic, int w, int h, List<(int Y, int X)> centers, float[] offset)
    {
        int n = w * h;
        var instance = new int[n];
        // Grouping: a thing pixel joins the nearest centre to (y, x) + offset (first one on ties, like argmin).
        if (centers.Count > 0)
            for (int i = 0; i < n; i++)
            {
                if (!IsThing(semantic[i])) continue;
                double py = i / w + (double)offset[i], px = i % w + (double)offset[n + i];
                int best = 0; double bestD = double.MaxValue;
                for (int k = 0; k < centers.Count; k++)
                {
                    double dy = centers[k].Y - py, dx = centers[k].X - px, d = dy * dy + dx * dx;
                    if (d < bestD) { bestD = d; best = k; }
                }
                instance[i] = best + 1;
            }

        var panoptic = new int[n];
        Array.Fill(panoptic, Options.VoidLabel);
        int numClasses = _isThing.Length;
        // Majority vote per instance, ids renumbered per class in ascending instance-id order.
        var votes = new Dictionary<int, int[]>();
        for (int i = 0; i < n; i++)
        {
            if (instance[i] == 0) continue;
            if (!votes.TryGetValue(instance[i], out var v)) votes[instance[i]] = v = new int[numClasses];
            v[semantic[i]]++;
        }
        var classOfInstance = new Dictionary<int, int>();
        var perClass = new int[numClasses];
        foreach (var id in votes.Keys.Order())
        {
            var v = votes[id];
            int cls = 0;
            for (int c = 1; c < numClasses; c++) if (v[c] > v[cls]) cls = c;
            perClass[cls]++;
            classOfInstance[id] = cls * Options.LabelDivisor + perClass[cls];
        }
        for (int i = 0; i < n; i++)
            if (instance[i] != 0) panoptic[i] = classOfInstance[instance[i]];

        // Stuff: every non-thing class present, kept where its area (outside instances) reaches the limit.
        var stuffArea = new long[numClasses];
        for (int i = 0; i < n; i++)
        {
            int c = semantic[i];
            if (c >= 0 && c < numClasses && !_isThing[c] && instance[i] == 0) stuffArea[c]++;
        }
        for (int i = 0; i < n; i++)
        {
            int c = semantic[i];
            if (c >= 0 && c < numClasses && !_isThing[c] && instance[i] == 0 && stuffArea[c] > 0 && stuffArea[c] >= Options.StuffArea)
                panoptic[i] = c * Options.LabelDivisor;
        }
        return new PanopticPrediction(w, h, panoptic, instance, centers, Options.LabelDivisor, Options.VoidLabel);
    }
}
