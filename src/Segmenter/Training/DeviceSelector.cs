using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training;

/// <summary>
/// Turns "cpu", "cuda", "cuda:N" or a list "cuda:0,1,2,3" into torch devices, with a clear error when CUDA is asked
/// for but absent. A list (or a replica count above 1) means one data-parallel replica per device.
/// </summary>
public static class DeviceSelector
{
    /// <summary>The one device of a spec; for a list, its first device (where the master weights live, and where eval runs).</summary>
    public static Device Parse(string spec) => ParseList(spec, replicas: 1)[0];

    /// <summary>
    /// One device per replica. "cpu" repeats the CPU (tests the data-parallel machinery without a GPU); "cuda" takes
    /// cuda:0..replicas-1; "cuda:N" is one device (replicas must be 1); "cuda:0,1" names them (replicas 1 or the count).
    /// </summary>
    public static IReadOnlyList<Device> ParseList(string spec, int replicas)
    {
        var s = spec.Trim().ToLowerInvariant();
        if (replicas < 1)
            throw new SegmenterException($"replica count {replicas} is not positive", "train.replicas", "use 1 (one device) or more");
        if (s == "cpu") return Enumerable.Repeat(CPU, replicas).ToList();
        if (s != "cuda" && !s.StartsWith("cuda:", StringComparison.Ordinal))
            throw new SegmenterException($"unknown device '{spec}'", "--device", "use cpu, cuda, cuda:N or a list cuda:0,1");
        if (!torch.cuda.is_available())
            throw new SegmenterException($"device '{spec}' requested but CUDA is not available in this build or on this machine", "--device",
                "use --device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA driver (docs/gpu.md)");
        int count = torch.cuda.device_count();
        if (s == "cuda")
        {
            if (replicas > count)
                throw new SegmenterException($"{replicas} replicas requested but only {count} CUDA devices exist", "train.replicas", $"use at most {count} replicas");
            return Enumerable.Range(0, replicas).Select(i => torch.device(DeviceType.CUDA, i)).ToList();
        }
        var parts = s[5..].Split(',', StringSplitOptions.TrimEntries);
        var devices = new List<Device>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, out int index) || index < 0 || index >= count)
                throw new SegmenterException($"device '{spec}' names cuda:{part}, which does not exist ({count} CUDA devices)", "--device", "use cuda:0 .. cuda:N-1");
            if (devices.Any(d => d.index == index))
                throw new SegmenterException($"device '{spec}' names cuda:{index} twice", "--device", "name each GPU once; one replica per GPU");
            devices.Add(torch.device(DeviceType.CUDA, index));
        }
        if (replicas != 1 && replicas != devices.Count)
            throw new SegmenterException($"device '{spec}' names {devices.Count} GPUs but {replicas} replicas are requested", "train.replicas",
                $"set train.replicas to {devices.Count} (or 1), or list {replicas} GPUs");
        return devices;
    }
}
