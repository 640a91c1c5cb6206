using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// nn.Dropout (each value) or nn.Dropout2d (whole channels) that can draw its masks from a generator of its own. With
/// no <see cref="Generator"/> it is exactly the LibTorch op on the global generator (one device: the generator state
/// is saved in checkpoints, so resume is exact). Data-parallel replicas on threads would race for that one generator,
/// so <see cref="Training.Parallel.DataParallelTrainer"/> gives each replica a generator seeded per (seed, iteration,
/// replica) and the masks stop depending on thread timing. With a generator the mask is drawn as PyTorch's
/// `_dropout_impl` does: Bernoulli(1 − p) noise scaled by 1 / (1 − p), times the input. Parameterless: no state-dict keys.
/// </summary>
public sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private SeededDropout(double p, bool channels, string name) : base(name)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        P = p;
        Channels = channels;
    }

    /// <summary>As nn.Dropout(p).</summary>
    public static SeededDropout Elementwise(double p) => new(p, channels: false, "Dropout");

    /// <summary>As nn.Dropout2d(p): zeroes whole channels of [N, C, H, W].</summary>
    public static SeededDropout Channelwise(double p) => new(p, channels: true, "Dropout2d");

    public double P { get; }
    public bool Channels { get; }

    /// <summary>Where the masks come from; null = the global torch generator. Must be on the input's device.</summary>
    public Generator? Generator { get; set; }

    public override Tensor forward(Tensor input)
    {
        // A new handle even for the identity, as LibTorch's dropout returns: nn.Sequential disposes the tensors between
        // its children, and returning the input object itself would hand it a tensor it then frees twice.
        if (!training || P == 0) return input.alias();
        if (Generator is null)
            return Channels ? nn.functional.dropout2d(input, P, training: true) : nn.functional.dropout(input, P, training: true);
        using var scope = NewDisposeScope();
        using var held = new HeldScalars();
        long[] shape = Channels ? [input.shape[0], input.shape[1], .. Enumerable.Repeat(1L, (int)input.dim() - 2)] : input.shape;
        var noise = empty(shape, input.dtype, input.device).bernoulli_(1 - P, Generator).div_(held.Of(1 - P));
        return input.mul(noise).MoveToOuterDisposeScope();
    }
}
