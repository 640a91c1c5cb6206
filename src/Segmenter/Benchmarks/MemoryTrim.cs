using Segmenter.Training;
using System.Runtime.InteropServices;

namespace Segmenter.Benchmarks;

/// <summary>
/// Makes resident memory comparable between benchmark variants run in one process: collects .NET garbage (which
/// finalises dropped tensors) and asks glibc to hand freed heap pages back to the OS, then reads RSS.
/// Without this, memory the previous variant freed stays resident and hides the next variant's growth.
/// </summary>
public static class MemoryTrim
{
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private static bool _trimUnavailable;

    /// <summary>Frees what can be freed and returns the resident set size in bytes.</summary>
    public static long TrimAndMeasure()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        if (OperatingSystem.IsLinux() && !_trimUnavailable)
        {
            try { MallocTrim(0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _trimUnavailable = true; }
        }
        return TrainProgress.RssBytes();
    }
}
