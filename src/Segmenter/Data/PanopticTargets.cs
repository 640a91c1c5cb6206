namespace Segmenter.Data;

/// <summary>
/// Panoptic-DeepLab training targets of one image, row-major H x W planes, made from the panoptic ground truth
/// exactly as detectron2's PanopticDeepLabTargetGenerator: semantic classes (ignore where VOID), semantic pixel
/// weights (small instances up-weighted), a centre heatmap (a Gaussian at the rounded centre of mass of every thing
/// segment, crowd included, composited by max), offsets (centre − pixel, float centre, y then x) on thing pixels,
/// and the centre/offset loss masks (1 on non-crowd segments; offsets only on things when stuff is ignored).
/// </summary>
public sealed record PanopticTargets(int Width, int Height, byte[] Semantic, float[] SemanticWeights, float[] Center,
    IReadOnlyList<(double Y, double X)> CenterPoints, float[] OffsetY, float[] OffsetX, float[] CenterWeights, float[] OffsetWeights)
{
    public static PanopticTargets Generate(PanopticGroundTruth gt, PanopticTargetOptions options)
    {
        int w = gt.Width, h = gt.Height, n = w * h;
        if (gt.SegmentIds.Length != n) throw new ArgumentException("segment id map size does not match width x height", nameof(gt));
        if (options.Sigma < 1) throw new SegmenterException($"sigma is {options.Sigma}", "panoptic targets sigma", "use a positive sigma (8 by default)");
        var semantic = new byte[n];
        Array.Fill(semantic, (byte)options.IgnoreLabel);
        var semWeights = new float[n];
        Array.Fill(semWeights, 1f);
        var center = new float[n];
        var offY = new float[n];
        var offX = new float[n];
        var centerWeights = new float[n];
        var offsetWeights = new float[n];
        var points = new List<(double, double)>();

        // Pixels of every listed segment, gathered in one pass (ids not in segments_info stay VOID).
        var pixels = new Dictionary<int, List<int>>();
        foreach (var s in gt.Segments) pixels.TryAdd(s.Id, new List<int>());
        for (int i = 0; i < n; i++)
            if (pixels.TryGetValue(gt.SegmentIds[i], out var list)) list.Add(i);

        var gaussian = GaussianKernel(options.Sigma);
        int ksize = 6 * options.Sigma + 3;
        foreach (var seg in gt.Segments)
        {
            var mask = pixels[seg.Id];
            if (seg.ClassIndex is < 0 or > 254 || seg.ClassIndex == options.IgnoreLabel)
                throw new SegmenterException($"class index {seg.ClassIndex} collides with the ignore label or does not fit a byte", "panoptic targets",
                    "use at most 255 classes and an ignore label outside 0..num_classes-1");
            if (!(options.IgnoreCrowdInSemantic && seg.IsCrowd))
                foreach (var i in mask) semantic[i] = (byte)seg.ClassIndex;
            if (!seg.IsCrowd)
            {
                foreach (var i in mask) centerWeights[i] = 1;
                if (!options.IgnoreStuffInOffset || seg.IsThing)
                    foreach (var i in mask) offsetWeights[i] = 1;
            }
            if (!seg.IsThing || mask.Count == 0) continue;

            if (mask.Count < options.SmallInstanceArea)
                foreach (var i in mask) semWeights[i] = (float)options.SmallInstanceWeight;
            double sy = 0, sx = 0;
            foreach (var i in mask) { sy += i / w; sx += i % w; }
            double cy = sy / mask.Count, cx = sx / mask.Count;
            points.Add((cy, cx));

            // Paste the Gaussian window [round(c − 3σ − 1), round(c + 3σ + 2)) with element-wise max.
            int y = (int)Math.Round(cy, MidpointRounding.ToEven), x = (int)Math.Round(cx, MidpointRounding.ToEven);
            int ulx = x - 3 * options.Sigma - 1, uly = y - 3 * options.Sigma - 1;
            int brx = x + 3 * options.Sigma + 2, bry = y + 3 * options.Sigma + 2;
            int x0 = Math.Max(0, ulx), x1 = Math.Min(brx, w), y0 = Math.Max(0, uly), y1 = Math.Min(bry, h);
            for (int py = y0; py < y1; py++)
                for (int px = x0; px < x1; px++)
                {
                    float g = gaussian[(py - uly) * ksize + (px - ulx)];
                    int i = py * w + px;
                    if (g > center[i]) center[i] = g;
                }
            foreach (var i in mask)
            {
                offY[i] = (float)(cy - i / w);
                offX[i] = (float)(cx - i % w);
            }
        }
        return new PanopticTargets(w, h, semantic, semWeights, center, points, offY, offX, centerWeights, offsetWeights);
    }

    /// <summary>exp(−((x−x0)² + (y−y0)²) / 2σ²) on a (6σ+3)² grid centred at 3σ+1.</summary>
    private static float[] GaussianKernel(int sigma)
    {
        int size = 6 * sigma + 3, c = 3 * sigma + 1;
        var g = new float[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                g[y * size + x] = (float)Math.Exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2.0 * sigma * sigma));
        return g;
    }
}
