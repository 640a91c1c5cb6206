using Segmenter.Training;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// RAdam with PyTorch's semantics: L2 weight decay added to the gradient, Adam moments, and the variance
/// rectification switch: while rho_t ≤ 5 the update is plain momentum SGD with the bias-corrected m;
/// afterwards m̂·lr·sqrt(1−β2^t)/(sqrt(v)+eps)·r_t.
/// </summary>
public sealed class RAdam : OptimizerBase
{
    public RAdam(IReadOnlyList<ParamGroup> groups, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
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
        var g = group.WeightDecay != 0 ? grad.add(p, alpha: Arg(group.WeightDecay)) : grad;
        var expAvg = StateOrZeros("exp_avg", name, p);
        var expAvgSq = StateOrZeros("exp_avg_sq", name, p);
        AdamMath.UpdateMoments(expAvg, expAvgSq, g, Beta1, Arg(Beta2), Arg(1 - Beta2));
        double bc1 = 1 - Math.Pow(Beta1, step);
        double bc2 = 1 - Math.Pow(Beta2, step);
        var corrected = expAvg.div(Arg(bc1));
        double rhoInf = 2 / (1 - Beta2) - 1;
        double rhoT = rhoInf - 2 * step * Math.Pow(Beta2, step) / bc2;
        if (rhoT > 5.0)
        {
            double rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            // PyTorch's float / tensor is tensor.reciprocal() * float.
            var adaptive = expAvgSq.sqrt().add_(Arg(Eps), HeldScalars.One).reciprocal_().mul_(Arg(Math.Sqrt(bc2)));
            p.add_(corrected.mul(Arg(lr)).mul_(adaptive).mul_(Arg(rect)), alpha: Arg(-1.0));
        }
        else
        {
            p.add_(corrected.mul(Arg(lr)), alpha: Arg(-1.0));
        }
    }
}
