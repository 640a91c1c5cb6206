using static TorchSharp.torch;

namespace Segmenter.Data;

/// <summary>
/// A batch of Panoptic-DeepLab targets as tensors: semantic [N, H, W] int64, semantic_weights [N, H, W],
/// center [N, 1, H, W], center_weights [N, H, W], offset [N, 2, H, W] (y, x), offset_weights [N, H, W].
/// </summary>
public sealed class PanopticTargetBatch : IDisposable
{
    public PanopticTargetBatch(Tensor semantic, Tensor semanticWeights, Tensor center, Tensor centerWeights, Tensor offset, Tensor offsetWeights)
    {
        Semantic = semantic; SemanticWeights = semanticWeights; Center = center;
        CenterWeights = centerWeights; Offset = offset; OffsetWeights = offsetWeights;
    }

    public Tensor Semantic { get; }
    public Tensor SemanticWeights { get; }
    public Tensor Center { get; }
    public Tensor CenterWeights { get; }
    public Tensor Offset { get; }
    public Tensor OffsetWeights { get; }

    /// <summary>Stacks same-sized targets (e.g. after cropping to the training size) onto <paramref name="device"/>.</summary>
    public static PanopticTargetBatch Stack(IReadOnlyList<PanopticTargets> targets, Device? device = null)
    {
        if (targets.Count == 0) throw new ArgumentException("no targets to stack", nameof(targets));
        int w = targets[0].Width, h = targets[0].Height, n = targets.Count, hw = w * h;
        if (targets.Any(t => t.Width != w || t.Height != h))
            throw new SegmenterException("panoptic targets of one batch differ in size", "panoptic batch", "crop or pad every sample to the same size");
        var sem = new long[n * hw];
        var semW = new float[n * hw];
        var center = new float[n * hw];
        var centerW = new float[n * hw];
        var offset = new float[n * 2 * hw];
        var offsetW = new float[n * hw];
        for (int b = 0; b < n; b++)
        {
            var t = targets[b];
            for (int i = 0; i < hw; i++) sem[b * hw + i] = t.Semantic[i];
            Array.Copy(t.SemanticWeights, 0, semW, b * hw, hw);
            Array.Copy(t.Center, 0, center, b * hw, hw);
            Array.Copy(t.CenterWeights, 0, centerW, b * hw, hw);
            Array.Copy(t.OffsetY, 0, offset, b * 2 * hw, hw);
            Array.Copy(t.OffsetX, 0, offset, b * 2 * hw + hw, hw);
            Array.Copy(t.OffsetWeights, 0, offsetW, b * hw, hw);
        }
        var dev = device ?? CPU;
        return new PanopticTargetBatch(tensor(sem, [n, h, w]).to(dev), tensor(semW, [n, h, w]).to(dev), tensor(center, [n, 1, h, w]).to(dev),
            tensor(centerW, [n, h, w]).to(dev), tensor(offset, [n, 2, h, w]).to(dev), tensor(offsetW, [n, h, w]).to(dev));
    }

    public void Dispose()
    {
        Semantic.Dispose(); SemanticWeights.Dispose(); Center.Dispose();
        CenterWeights.Dispose(); Offset.Dispose(); OffsetWeights.Dispose();
    }
}
