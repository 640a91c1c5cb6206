using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training;

/// <summary>Turns "cpu", "cuda" or "cuda:N" into a torch device, with a clear error when CUDA is asked for but absent.</summary>
public static class DeviceSelector
{
    public static Device Parse(string spec)
    {
        var s = spec.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new SegmenterException($"device '{spec}' requested but CUDA is not available in this build or on this machine", "--device",
                    "use --device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA driver (README: GPU)");
            if (s == "cuda") return CUDA;
            var part = s[5..];
            if (part.Contains(','))
                throw new SegmenterException($"device '{spec}' names several GPUs; data-parallel training over several devices is not built yet", "--device", "use one device, e.g. cuda:0");
            if (!int.TryParse(part, out int index) || index < 0 || index >= torch.cuda.device_count())
                throw new SegmenterException($"device '{spec}' does not exist ({torch.cuda.device_count()} CUDA devices)", "--device", "use cuda:0 .. cuda:N-1");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new SegmenterException($"unknown device '{spec}'", "--device", "use cpu, cuda or cuda:N");
    }
}
