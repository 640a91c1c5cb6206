using Segmenter.Training;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// SGD with PyTorch's semantics: weight decay is added to the gradient (L2), the momentum buffer starts as
/// the first gradient (buf = g, then buf = m·buf + g, no dampening), nesterov uses g + m·buf.
/// </summary>
public sealed class Sgd : OptimizerBase
{
    public Sgd(IReadOnlyList<ParamGroup> groups, double lr, double momentum = 0.9, bool nesterov = false)
        : base(groups, lr, momentum != 0 ? ["momentum_buffer"] : [], perParamSteps: false)
    {
        if (momentum < 0)
            throw new SegmenterException($"momentum is {momentum}; it must be 0 or more", "optimizer.momentum", "use e.g. 0.9");
        if (nesterov && momentum <= 0)
            throw new SegmenterException("nesterov needs a positive momentum", "optimizer.nesterov", "set optimizer.momentum, or nesterov: false");
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public double Momentum { get; }
    public bool Nesterov { get; }

    protected override void Update(ParamGroup group, string name, Parameter p, Tensor grad, long step)
    {
        if (Momentum != 0 && !Nesterov && GetState("momentum_buffer", name) is { } momentumBuffer)
        {
            // The usual step with no temporaries: buf = m·buf + g + wd·p, p -= lr·buf (PyTorch's math, summed in place).
            momentumBuffer.mul_(Arg(Momentum)).add_(grad, HeldScalars.One);
            if (group.WeightDecay != 0) momentumBuffer.add_(p, alpha: Arg(group.WeightDecay));
            p.add_(momentumBuffer, alpha: Arg(-group.Lr));
            return;
        }
        var d = group.WeightDecay != 0 ? grad.add(p, alpha: Arg(group.WeightDecay)) : grad;
        if (Momentum != 0)
        {
            var buf = GetState("momentum_buffer", name);
            if (buf is null)
                buf = SetState("momentum_buffer", name, d.detach().clone());
            else
                buf.mul_(Arg(Momentum)).add_(d, HeldScalars.One);
            d = Nesterov ? d.add(buf, alpha: Arg(Momentum)) : buf;
        }
        p.add_(d, alpha: Arg(-group.Lr));
    }
}
