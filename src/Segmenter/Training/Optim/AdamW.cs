using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// AdamW with PyTorch's (2.x, single-tensor) semantics: decoupled decay p ·= 1 − lr·wd, moments m = lerp(m, g, 1−β1),
/// v = β2·v + (1−β2)·g², step lr/(1−β1^t) against sqrt(v)/sqrt(1−β2^t) + eps.
/// </summary>
public sealed class AdamW : OptimizerBase
{
    public AdamW(IReadOnlyList<ParamGroup> groups, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(groups, lr, ["exp_avg", "exp_avg_sq"], perParamSteps: true)
    {
        AdamMath.CheckBetas(beta1, beta2, eps);
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    protected override void Update(ParamGroup group, string name, Parameter p, Tensor grad, long step)
    {
        double lr = group.Lr;
        if (group.WeightDecay != 0) p.mul_(Arg(1 - lr * group.WeightDecay));
        var expAvg = StateOrZeros("exp_avg", name, p);
        var expAvgSq = StateOrZeros("exp_avg_sq", name, p);
        AdamMath.UpdateMoments(expAvg, expAvgSq, grad, Beta1, Arg(Beta2), Arg(1 - Beta2));
        double bc1 = 1 - Math.Pow(Beta1, step);
        double bc2 = 1 - Math.Pow(Beta2, step);
        double stepSize = lr / bc1;
        var denom = expAvgSq.sqrt().div_(Arg(Math.Sqrt(bc2))).add_(Arg(Eps), HeldScalars.One); // add_(s) alone would make a finalizer-owned alpha 1
        p.addcdiv_(expAvg, denom, value: Arg(-stepSize));
    }
}

/// <summary>Shared Adam-family pieces.</summary>
internal static class AdamMath
{
    public static void CheckBetas(double beta1, double beta2, double eps)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
            throw new SegmenterException($"betas [{beta1}, {beta2}] must lie in [0, 1)", "optimizer.betas", "use e.g. [0.9, 0.999]");
        if (eps < 0)
            throw new SegmenterException($"eps is {eps}; it must be 0 or more", "optimizer.eps", "use e.g. 1e-8");
    }

    /// <summary>m.lerp_(g, 1 − β1); v.mul_(β2).addcmul_(g, g, 1 − β2), as PyTorch 2.x does.</summary>
    public static void UpdateMoments(Tensor expAvg, Tensor expAvgSq, Tensor grad, double beta1, Scalar beta2, Scalar oneMinusBeta2)
    {
        using var w = torch.tensor(1 - beta1, expAvg.dtype, expAvg.device);
        expAvg.lerp_(grad, w);
        expAvgSq.mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);
    }
}
