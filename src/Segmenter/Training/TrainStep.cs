using TorchSharp;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Training;

/// <summary>
/// One single-device optimisation step, shared by the semantic and panoptic trainers and the benchmark: inside one
/// DisposeScope, the forward returns the loss terms, which are summed; then zero-grad, backward, optional clipping of
/// the global gradient norm, optimizer step.
/// </summary>
public static class TrainStep
{
    /// <summary>Runs the step and returns each loss term and their sum ("loss") as numbers.</summary>
    /// <param name="forward">Builds the batch tensors and runs the model's forward with its losses (inside the step's scope).</param>
    /// <param name="phaseDone">Called after the forward with losses, after the backward and after the optimizer step (the
    /// benchmark times these phases; reading the loss values and freeing the step's tensors come after them).</param>
    public static Dictionary<string, double> Run(nn.Module model, IOptimizer optimizer, double? gradClip,
        Func<Dictionary<string, Tensor>> forward, Action? phaseDone = null)
    {
        using var scope = NewDisposeScope();
        var losses = forward();
        var total = losses.Values.Aggregate((a, b) => a + b);
        phaseDone?.Invoke();
        optimizer.ZeroGrad();
        total.backward();
        if (gradClip is { } maxNorm) GradClipper.ClipGlobalNorm(model.parameters(), maxNorm);
        phaseDone?.Invoke();
        optimizer.Step();
        phaseDone?.Invoke();
        var values = losses.ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>());
        values["loss"] = total.item<float>();
        return values;
    }
}
