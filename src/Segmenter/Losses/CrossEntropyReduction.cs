namespace Segmenter.Losses;

/// <summary>
/// What the pixel-wise cross-entropy's sum of w[y]·nll (class weight × negative log-likelihood, 0 at ignored pixels,
/// × the OHEM mask when one is used) is divided by.
/// </summary>
public enum CrossEntropyReduction
{
    /// <summary>
    /// Every pixel of the label map, ignored ones included: MMSegmentation's CrossEntropyLoss default
    /// (<c>avg_non_ignore=False</c>: <c>weight_reduce_loss</c> takes <c>loss.mean()</c> of the per-pixel losses, which
    /// are 0 at ignored pixels). Class weights and the OHEM mask do not change the denominator.
    /// </summary>
    AllPixels,

    /// <summary>
    /// The non-ignored pixels: MMSegmentation's <c>avg_non_ignore=True</c> (<c>avg_factor = numel − #ignored</c>, then
    /// <c>loss.sum() / (avg_factor + eps)</c> with float32's eps). Class weights and the OHEM mask do not change it.
    /// </summary>
    NonIgnored,

    /// <summary>
    /// The sum of the counted pixels' class weights (× OHEM mask): PyTorch's weighted mean,
    /// <c>F.cross_entropy(weight=w, ignore_index=i, reduction='mean')</c>; without class weights and OHEM it equals
    /// <see cref="NonIgnored"/>. Config key <c>model.loss.torch_weighted_mean</c>.
    /// </summary>
    ClassWeightSum,
}
