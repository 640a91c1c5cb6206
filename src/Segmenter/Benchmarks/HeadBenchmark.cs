using Segmenter.Training;
using System.Diagnostics;
using Segmenter.Models.Heads;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>Settings of a head-only benchmark (<see cref="HeadBenchmark"/>).</summary>
public sealed record HeadBenchOptions
{
    /// <summary>Channels of the random backbone feature (2048 = ResNet-50/101 layer4).</summary>
    public int InChannels { get; init; } = 2048;
    /// <summary>Head width (mmseg ISAHead channels 512).</summary>
    public int Channels { get; init; } = 512;
    /// <summary>Key/query width of the attention (isa_channels 256).</summary>
    public int KeyChannels { get; init; } = 256;
    public (int H, int W) DownFactor { get; init; } = (8, 8);
    public int NumClasses { get; init; } = 19;
    public int Batch { get; init; } = 1;
    /// <summary>Output stride of the feature: the map is ceil(H/os) × ceil(W/os) (769 → 97 at OS8).</summary>
    public int OutputStride { get; init; } = 8;
    public int Iters { get; init; } = 5;
    public int Warmup { get; init; } = 1;
    public string Device { get; init; } = "cpu";
    public int Seed { get; init; }
}

public sealed record HeadBenchResult(string Head, int ImageHeight, int ImageWidth, long FeatHeight, long FeatWidth, long Parameters,
    double Seconds, long PeakBytes, long AttentionMapBytes);

/// <summary>
/// `segment bench --compare-heads`: forward + backward of a decode head ALONE on a random backbone feature at 1/8 of
/// the image size, so the attention's own cost is measured. Time is the mean over the timed iterations; peak memory is
/// the process's resident high-water mark during them above the level before them (Linux: VmHWM, reset through
/// /proc/self/clear_refs before each head; elsewhere the peak of sampled RSS). AttentionMapBytes is the analytic size of
/// the affinity matrices one forward holds (float32): (HW)² for dense attention; P·(HW/P)² + (HW/P)·P² for ISA with
/// P = P_h·P_w positions per block (after padding).
/// </summary>
public static class HeadBenchmark
{
    public static readonly IReadOnlyList<string> Heads = ["isa", "nonlocal"];

    public static HeadBenchResult Run(string head, int imageHeight, int imageWidth, HeadBenchOptions o)
    {
        var device = DeviceSelector.Parse(o.Device);
        torch.manual_seed(o.Seed);
        long fh = (imageHeight + o.OutputStride - 1) / o.OutputStride, fw = (imageWidth + o.OutputStride - 1) / o.OutputStride;
        using var module = Create(head, o);
        module.to(device).train();
        long parameters = module.parameters().Sum(p => p.numel());
        using var feature = randn(new long[] { o.Batch, o.InChannels, fh, fw }, device: device);
        using var labels = randint(0, o.NumClasses, new long[] { o.Batch, fh, fw }, dtype: ScalarType.Int64, device: device);

        void Step()
        {
            using var scope = NewDisposeScope();
            var logits = module.forward([feature]);
            var loss = nn.functional.cross_entropy(logits, labels);
            loss.backward();
            _ = loss.item<float>();
            foreach (var p in module.parameters()) p.grad?.zero_();
        }

        for (int i = 0; i < o.Warmup; i++) Step();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = MemoryProbe.Reset();
        double total = 0;
        for (int i = 0; i < o.Iters; i++)
        {
            var watch = Stopwatch.StartNew();
            Step();
            total += watch.Elapsed.TotalSeconds;
        }
        long peak = Math.Max(0, MemoryProbe.Peak() - before);
        var result = new HeadBenchResult(head, imageHeight, imageWidth, fh, fw, parameters, total / Math.Max(1, o.Iters), peak,
            AttentionMapBytes(head, fh, fw, o.DownFactor) * o.Batch);
        Log.Information("{Head} {H}x{W} (feature {Fh}x{Fw}): {Sec:F4} s/iter, peak +{Mb} MB", head, imageHeight, imageWidth, fh, fw,
            result.Seconds, peak >> 20);
        return result;
    }

    public static DecodeHead Create(string head, HeadBenchOptions o) => head switch
    {
        "isa" => new IsaDecodeHead(o.InChannels, 0, o.Channels, o.KeyChannels, o.DownFactor, o.NumClasses, 0.1, false),
        "nonlocal" => new NonLocalHead(o.InChannels, 0, o.Channels, o.KeyChannels, o.NumClasses, 0.1, false),
        _ => throw new SegmenterException($"unknown head '{head}'", "--compare-heads", $"use {string.Join(", ", Heads)}"),
    };

    /// <summary>float32 bytes of the affinity matrices of one forward for one image.</summary>
    public static long AttentionMapBytes(string head, long fh, long fw, (int H, int W) downFactor)
    {
        if (head != "isa") return 4 * (fh * fw) * (fh * fw);
        long qh = (fh + downFactor.H - 1) / downFactor.H, qw = (fw + downFactor.W - 1) / downFactor.W;
        long p = (long)downFactor.H * downFactor.W, q = qh * qw;
        return 4 * (p * q * q + q * p * p);
    }

    /// <summary>"769x769,1024x2048" → [(769, 769), (1024, 2048)] (height x width).</summary>
    public static List<(int H, int W)> ParseSizes(string text)
    {
        var sizes = new List<(int H, int W)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var hw = part.Split('x', 'X');
            if (hw.Length != 2 || !int.TryParse(hw[0], out var h) || !int.TryParse(hw[1], out var w) || h < 1 || w < 1)
                throw new SegmenterException($"'{part}' is not HEIGHTxWIDTH", "--sizes", "write sizes like 769x769,1024x2048");
            sizes.Add((h, w));
        }
        if (sizes.Count == 0) throw new SegmenterException("no sizes given", "--sizes", "write sizes like 769x769,1024x2048");
        return sizes;
    }

    /// <summary>One table: a row per (size, head) with time and peak memory, and ratios to the first head at that size.</summary>
    public static string Format(IReadOnlyList<HeadBenchResult> results)
    {
        var lines = new List<string>
        {
            $"{"size",-11} {"feature",-9} {"head",-9} {"params",11} {"s/iter",9} {"peak MB",8} {"attn MB",9} {"time x",7} {"mem x",7} {"attn x",8}",
        };
        foreach (var group in results.GroupBy(r => (r.ImageHeight, r.ImageWidth)))
        {
            var first = group.First();
            foreach (var r in group)
                lines.Add($"{$"{r.ImageHeight}x{r.ImageWidth}",-11} {$"{r.FeatHeight}x{r.FeatWidth}",-9} {r.Head,-9} {r.Parameters,11:N0} {r.Seconds,9:F4} " +
                          $"{r.PeakBytes / 1048576.0,8:F1} {r.AttentionMapBytes / 1048576.0,9:F1} {r.Seconds / first.Seconds,7:F3} " +
                          $"{(first.PeakBytes > 0 ? (double)r.PeakBytes / first.PeakBytes : double.NaN),7:F3} {(double)r.AttentionMapBytes / first.AttentionMapBytes,8:F3}");
        }
        return string.Join(Environment.NewLine, lines);
    }
}
