namespace Segmenter.Evaluation;

/// <summary>
/// Panoptic-DeepLab inference settings (detectron2/paper defaults): centre threshold 0.1, NMS max-pool kernel 7,
/// top-200 centres, stuff regions smaller than 2048 px dropped to VOID; panoptic id = class × label_divisor + instance.
/// </summary>
public sealed record PanopticPostProcessOptions
{
    public double CenterThreshold { get; init; } = 0.1;
    public int NmsKernel { get; init; } = 7;
    /// <summary>Keep at most this many centres (0 = all).</summary>
    public int TopK { get; init; } = 200;
    /// <summary>Minimum stuff area in pixels at the resolution post-processing runs at (scale it for smaller inputs).</summary>
    public int StuffArea { get; init; } = 2048;
    public int LabelDivisor { get; init; } = 1000;
    /// <summary>Panoptic value of unassigned pixels (detectron2 uses -1).</summary>
    public int VoidLabel { get; init; } = -1;
}
