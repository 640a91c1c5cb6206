using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>Global gradient-norm clipping with torch.nn.utils.clip_grad_norm_ semantics (2-norm, coef = max/(norm+1e-6) clamped to 1).</summary>
public static class GradClipper
{
    /// <summary>Scales all gradients in place so their global 2-norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var grads = new List<Tensor>();
        foreach (var p in parameters)
            if (p.grad is { } g) grads.Add(g);
        if (grads.Count == 0) return 0.0;
        var norms = grads.Select(g => linalg.vector_norm(g, 2)).ToArray();
        var total = linalg.vector_norm(torch.stack(norms), 2);
        // PyTorch's float / tensor is tensor.reciprocal() * float.
        var coef = total.add(1e-6).reciprocal_().mul_(maxNorm).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coef.to(g.dtype, g.device));
        return total.to(ScalarType.Float64).item<double>();
    }
}
