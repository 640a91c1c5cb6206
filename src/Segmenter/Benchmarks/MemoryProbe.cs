using Segmenter.Training;
using System.Runtime.InteropServices;

namespace Segmenter.Benchmarks;

/// <summary>
/// Process memory high-water mark for benchmarks. On Linux, <see cref="Reset"/> writes 5 to /proc/self/clear_refs,
/// which resets VmHWM (peak resident size) to the current RSS, and <see cref="Peak"/> reads VmHWM from
/// /proc/self/status. Elsewhere both fall back to the current working set (a lower bound of the peak).
/// On glibc the malloc mmap threshold is pinned at its 128 KiB default, so large tensors are mapped and unmapped
/// (returned to the OS when freed) instead of staying in the heap after warm-up, which would hide them from the peak.
/// </summary>
internal static partial class MemoryProbe
{
    private const int M_MMAP_THRESHOLD = -3;
    private static readonly bool Pinned = PinMmapThreshold();

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    private static bool PinMmapThreshold()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>Resets the high-water mark where possible; returns the current resident bytes.</summary>
    public static long Reset()
    {
        _ = Pinned;
        try { if (OperatingSystem.IsLinux()) File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return TrainProgress.RssBytes();
    }

    /// <summary>Peak resident bytes since the last <see cref="Reset"/> (VmHWM on Linux).</summary>
    public static long Peak()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                        && long.TryParse(line[6..].Trim().Split(' ')[0], out var kb))
                        return kb * 1024;
            }
            catch (IOException) { }
        }
        return TrainProgress.RssBytes();
    }
}
