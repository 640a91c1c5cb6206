using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Training.Distributed;

/// <summary>
/// All gradients of a model as one contiguous fp32 vector, so one all-reduce moves them all (one call per step instead
/// of one per parameter; PyTorch DDP buckets for the same reason, torch/nn/parallel/distributed.py bucket_cap_mb).
/// Parameters without a gradient contribute zeros, so every rank's bucket has the same layout.
/// </summary>
public static class GradientBucket
{
    public static Tensor Flatten(IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        var parts = parameters.Select(p => p.grad is { } g
            ? g.flatten().to_type(ScalarType.Float32)
            : torch.zeros(p.numel(), dtype: ScalarType.Float32, device: p.device));
        return torch.cat(parts.ToArray());
    }

    /// <summary>Copies the reduced bucket back into the gradients of the parameters that have one.</summary>
    public static void Unflatten(Tensor bucket, IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            long numel = p.numel();
            if (p.grad is { } g) g.copy_(bucket.narrow(0, offset, numel).view_as(p));
            offset += numel;
        }
    }
}
