namespace Segmenter.Data;

/// <summary>
/// Settings of Panoptic-DeepLab target generation (detectron2 PanopticDeepLabTargetGenerator defaults as configured
/// in its Cityscapes recipe): Gaussian sigma 8, small instances (area &lt; 4096 px) weighted 3 in the semantic loss,
/// stuff pixels left out of the offset loss, crowd regions kept in the semantic target.
/// </summary>
public sealed record PanopticTargetOptions
{
    public int IgnoreLabel { get; init; } = 255;
    /// <summary>Standard deviation (px) of the centre heatmap Gaussian; the kernel spans 6σ+3 px.</summary>
    public int Sigma { get; init; } = 8;
    public int SmallInstanceArea { get; init; } = 4096;
    public double SmallInstanceWeight { get; init; } = 3;
    public bool IgnoreStuffInOffset { get; init; } = true;
    /// <summary>deeplab2 behaviour: crowd pixels get the ignore label in the semantic target (detectron2 keeps their class).</summary>
    public bool IgnoreCrowdInSemantic { get; init; }
}
