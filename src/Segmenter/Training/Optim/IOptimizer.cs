using Segmenter.Training;
using static TorchSharp.torch;

namespace Segmenter.Training.Optim;

/// <summary>
/// Our own optimizer contract (not TorchSharp's optimizers): the state is fully visible, keyed by parameter
/// names, so that a run resumed in a new process continues bit-identically, and wrappers (Lookahead) can
/// reach it.
/// </summary>
public interface IOptimizer : IDisposable
{
    IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>Number of completed <see cref="Step"/> calls.</summary>
    long StepCount { get; }

    /// <summary>Updates every parameter that has a gradient, in place, under no_grad.</summary>
    void Step();

    /// <summary>Drops the gradients (PyTorch 2.x zero_grad(set_to_none=True)): the next backward writes fresh ones instead of
    /// adding into zeroed storage, saving a memset and an add per parameter; parameters it does not reach keep none and are not updated.</summary>
    void ZeroGrad();

    /// <summary>Each group gets baseLr × its LrMult.</summary>
    void SetLearningRate(double baseLr);

    /// <summary>Each group gets <paramref name="lrOfMult"/>(its LrMult): a schedule evaluated from each group's own initial lr.</summary>
    void SetLearningRates(Func<double, double> lrOfMult);

    /// <summary>A copy of the state on the CPU, keyed "step", "&lt;kind&gt;.&lt;param name&gt;"; the caller owns the tensors.</summary>
    Dictionary<string, Tensor> StateDict();

    /// <summary>Replaces the whole state by a copy of <paramref name="state"/> (from <see cref="StateDict"/>, maybe of another process).</summary>
    void LoadStateDict(IReadOnlyDictionary<string, Tensor> state);
}
