using System.Reflection;

namespace Segmenter;

/// <summary>
/// Turns TorchSharp's failure to load its native libraries (a long trace of every path it tried) into one line that
/// says what this build expects and how to fix it. The usual cause is a build with <c>-p:TorchBackend=external</c>
/// (no LibTorch in the output, docs/gpu.md) started without <c>scripts/segment-torch</c>.
/// </summary>
public static class TorchNativeLoadError
{
    /// <summary>The TorchBackend this assembly was built with (cpu, cuda, external), from its assembly metadata.</summary>
    public static string Backend { get; } =
        typeof(TorchNativeLoadError).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>The one-line message when <paramref name="error"/> (or an inner exception) is a native load failure.</summary>
    public static bool TryDescribe(Exception error, out string message)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            bool nativeLoad = e is DllNotFoundException
                || (e is NotSupportedException or InvalidOperationException
                    && (e.Message.Contains("LibTorchSharp", StringComparison.Ordinal) || e.Message.Contains("libtorch", StringComparison.OrdinalIgnoreCase)));
            if (!nativeLoad) continue;
            message = Backend == "external"
                ? "LibTorch could not be loaded: this segment was built with -p:TorchBackend=external and carries no LibTorch; "
                  + "run it through scripts/segment-torch (after scripts/build_torchsharp_bridge.sh), or put the bridge folder and "
                  + "PyTorch's torch/lib on LD_LIBRARY_PATH (docs/gpu.md)"
                : $"LibTorch could not be loaded ({FirstLine(e.Message)}): this build ({Backend}) expects its LibTorch package beside "
                  + "the program; rebuild or republish it (dotnet build -c Release), or run with --verbose for every path tried";
            return true;
        }
        message = "";
        return false;
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 160 ? line[..160] + "..." : line;
    }
}
