using Segmenter.Training;
using TorchSharp.Modules;

namespace Segmenter.Training.Optim;

/// <summary>
/// Parameters that share a learning-rate multiplier and a weight decay (e.g. backbone vs head, decayed vs not).
/// Names are the model's state-dict names; optimizer state is keyed by them so it survives a process restart.
/// </summary>
public sealed record ParamGroup(string Name, IReadOnlyList<(string Name, Parameter P)> Params, double LrMult, double WeightDecay)
{
    /// <summary>The learning rate used by the next step: base lr × <see cref="LrMult"/> (set by <see cref="IOptimizer.SetLearningRate"/>).</summary>
    public double Lr { get; set; }
}
