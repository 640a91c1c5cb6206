using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Amp;

/// <summary>
/// Dynamic loss scaling for fp16 training (the torch.cuda.amp.GradScaler rule): the loss is multiplied by
/// <see cref="Scale"/> before backward so small fp16 gradients do not flush to zero; the gradients are divided by it
/// again before the optimizer step. A step whose gradients hold inf/NaN is skipped and the scale shrinks by
/// <see cref="BackoffFactor"/>; after <see cref="GrowthInterval"/> finite steps in a row it grows by <see cref="GrowthFactor"/>.
/// </summary>
public sealed class LossScaler
{
    public LossScaler(double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initScale > 0) || !(growthFactor > 1) || !(backoffFactor is > 0 and < 1) || growthInterval < 1)
            throw new ArgumentException("loss scaler: need initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, growthInterval >= 1");
        Scale = initScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
    }

    public double Scale { get; private set; }
    public double GrowthFactor { get; }
    public double BackoffFactor { get; }
    public int GrowthInterval { get; }
    /// <summary>Finite steps since the last change of scale.</summary>
    public int GrowthTracker { get; private set; }
    /// <summary>Steps skipped because of inf/NaN gradients.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>
    /// Divides the gradients by the scale in place and reports whether they are all finite. With a non-finite
    /// gradient the gradients are left as they are (the step is going to be skipped).
    /// </summary>
    public bool UnscaleAndCheck(IReadOnlyList<Tensor> grads)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        if (grads.Count == 0) return true;
        var finite = torch.stack(grads.Select(g => torch.isfinite(g).all()).ToArray()).all().item<bool>();
        if (!finite) return false;
        using var held = new HeldScalars(); // not an implicit, finalizer-owned Scalar (see HeldScalars)
        var inverse = held.Of(1.0 / Scale);
        foreach (var g in grads) g.mul_(inverse);
        return true;
    }

    /// <summary>After each step: shrink the scale on a skipped step, grow it after <see cref="GrowthInterval"/> finite steps.</summary>
    public void Update(bool finite)
    {
        if (!finite)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            SkippedSteps++;
            return;
        }
        if (++GrowthTracker >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            GrowthTracker = 0;
        }
    }

    /// <summary>The low-precision working dtype of an amp mode (none → null).</summary>
    public static ScalarType? WorkingType(string amp) => amp switch
    {
        "none" => null,
        "bf16" => ScalarType.BFloat16,
        "fp16" => ScalarType.Float16,
        _ => throw new SegmenterException($"train.amp is '{amp}'", "train.amp", "use none, bf16 or fp16"),
    };

    /// <summary>fp16 needs loss scaling (narrow exponent range); bf16 has fp32's range and needs none.</summary>
    public static LossScaler? For(string amp) => amp == "fp16" ? new LossScaler() : null;
}
