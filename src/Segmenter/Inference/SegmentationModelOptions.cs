namespace Segmenter.Inference;

/// <summary>How a <see cref="SegmentationModel"/> runs; every option is a config override, so the model behaves as
/// `segment predict` with the same flags.</summary>
public sealed record SegmentationModelOptions
{
    /// <summary>cpu, cuda, cuda:N (train.device).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Multi-scale + flip test-time augmentation, as `segment predict --tta` (mmseg aug_test).</summary>
    public bool Tta { get; init; }

    /// <summary>Sliding-window inference with this crop (height, width) and <see cref="SlideStride"/>; null keeps the config's test.mode.</summary>
    public (int Height, int Width)? SlideCrop { get; init; }

    /// <summary>Stride of the sliding window (default: two thirds of the crop, as MMSegmentation's 512/341).</summary>
    public (int Height, int Width)? SlideStride { get; init; }

    /// <summary>How many requests run inference at once; the others wait. One is right on a CPU (LibTorch already uses
    /// every core for one image); more can help on a GPU.</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Further config overrides, as --cfg-options (key=value).</summary>
    public IReadOnlyList<string> ConfigOverrides { get; init; } = [];

    internal List<string> ToOverrides()
    {
        var list = new List<string> { $"train.device={Device}" };
        if (Tta) list.AddRange(["test.scales=[0.5,0.75,1.0,1.25,1.5,1.75]", "test.flip=true"]);
        if (SlideCrop is { } crop)
        {
            var stride = SlideStride ?? (Math.Max(1, crop.Height * 2 / 3), Math.Max(1, crop.Width * 2 / 3));
            list.AddRange(["test.mode=slide", $"test.crop_size=[{crop.Height},{crop.Width}]", $"test.stride=[{stride.Height},{stride.Width}]"]);
        }
        list.AddRange(ConfigOverrides);
        return list;
    }
}
