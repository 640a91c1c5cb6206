using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// BatchNorm1d / BatchNorm2d as TorchSharp's (same parameters and buffers: weight, bias, running_mean, running_var,
/// num_batches_tracked, so state dicts are unchanged), except for one line of the training forward: TorchSharp counts
/// batches with <c>num_batches_tracked.add_(1)</c>, whose implicitly created Scalars can be freed by their finalizer
/// while LibTorch reads them (see <see cref="HeldScalars"/>; this crashed a CI run inside BatchNorm.forward). Here the
/// count passes the process-held Scalar 1; and training refuses one value per channel, as PyTorch does. Every model
/// builds its BatchNorms through <see cref="TwoD"/> / <see cref="OneD"/>.
/// </summary>
public sealed class BatchNormLayer : BatchNorm
{
    private readonly int _dims;

    private BatchNormLayer(long features, double eps, double momentum, int dims, string name)
        : base(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: name) => _dims = dims;

    /// <summary>A BatchNorm2d ([N, C, H, W]).</summary>
    public static BatchNormLayer TwoD(long features, double eps = 1e-5, double momentum = 0.1) =>
        new(features, eps, momentum, 2, "BatchNorm2d");

    /// <summary>A BatchNorm1d ([N, C] or [N, C, L]).</summary>
    public static BatchNormLayer OneD(long features, double eps = 1e-5, double momentum = 0.1) =>
        new(features, eps, momentum, 1, "BatchNorm1d");

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } count)
        {
            using (no_grad()) count.add_(HeldScalars.One, HeldScalars.One);
            if (momentum is null) factor = 1.0 / count.item<long>();
        }
        bool batchStats = training || (running_mean is null && running_var is null);
        if (training) VerifyBatchSize(input);
        bool passBuffers = !training || track_running_stats;
        return nn.functional.batch_norm(input, passBuffers ? running_mean : null, passBuffers ? running_var : null,
            weight, bias, batchStats, factor, eps);
    }

    /// <summary>
    /// PyTorch's F.batch_norm check (`_verify_batch_size`): in training, one value per channel (e.g. ASPP's image pool,
    /// [1, C, 1, 1], with one sample per replica) has no batch statistics; LibTorch does not check it, and the run
    /// diverges or turns NaN instead of stopping.
    /// </summary>
    private static void VerifyBatchSize(Tensor input)
    {
        long perChannel = input.shape[0];
        for (int d = 2; d < input.dim(); d++) perChannel *= input.shape[d];
        if (perChannel == 1)
            throw new SegmenterException(
                $"a BatchNorm in training got one value per channel (input [{string.Join(", ", input.shape)}]), which has no batch statistics (PyTorch stops here too)",
                "data.batch_size", "give each replica or process at least 2 samples, or set train.sync_bn: true to take the statistics over all of them");
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        bool ok = _dims == 2 ? input.dim() == 4 : input.dim() is 2 or 3;
        if (!ok)
            throw new ArgumentException($"expected {(_dims == 2 ? "4D" : "2D or 3D")} input to BatchNorm{_dims}d, got {input.dim()}D");
    }
}
