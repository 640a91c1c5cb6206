using System.Runtime.InteropServices;
using System.Text;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Distributed;

/// <summary>
/// <see cref="IProcessGroup"/> over Open MPI (see <see cref="OpenMpiNative"/> for the ABI): one process per rank,
/// collectives run in place on the tensors' CPU memory (contiguous fp32/fp64: the storage's data pointer plus the
/// storage offset, no copy), in calls of fewer than 2^31 elements (MPI counts are C ints). Every collective is
/// preceded by a tiny check that all ranks are at the same operation with the same tag and size (a mismatch is an
/// error naming both, not a silent mix-up) and guarded by a <see cref="CollectiveWatchdog"/>. CPU memory only:
/// GPU tensors go through <see cref="NcclCollective"/> (never hand device memory to an MPI that is not CUDA-aware).
/// Open MPI's sum is deterministic and identical on every rank for a given world size (its reduce algorithms
/// combine the same operands in the same order; IEEE addition is commutative), which keeps the ranks' weights
/// bit-identical.
/// </summary>
public sealed unsafe class MpiCollective : IProcessGroup
{
    /// <summary>Largest element count per MPI call (below 2^31, the limit of a C int count).</summary>
    public static int MaxChunk { get; set; } = 1 << 30;

    private static bool _initialised, _finalised;
    private readonly CollectiveWatchdog _watchdog;
    private bool _disposed;

    private MpiCollective(int rank, int worldSize, TimeSpan timeout)
    {
        Rank = rank;
        WorldSize = worldSize;
        _watchdog = new CollectiveWatchdog(timeout, rank, () => Abort(3));
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public string Backend => "mpi";

    /// <summary>
    /// Initialises MPI once per process (MPI_Init_thread with MPI_THREAD_MULTIPLE: the watchdog may abort from its
    /// own thread while the training thread is inside a collective) and returns the world communicator.
    /// A missing libmpi.so.40 is a one-line <see cref="SegmenterException"/>.
    /// </summary>
    public static MpiCollective Initialize(TimeSpan timeout)
    {
        try
        {
            OpenMpiNative.Load();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new SegmenterException($"Open MPI is not installed ({OpenMpiNative.Library} not found: {e.Message})", "train.dist_backend",
                "install Open MPI 4.x (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or use --dist-backend inprocess");
        }
        if (_finalised) throw new InvalidOperationException("MPI was already finalised in this process; it cannot be initialised twice");
        if (!_initialised)
        {
            Check(OpenMpiNative.MPI_Initialized(out int already), "MPI_Initialized");
            if (already == 0)
            {
                Check(OpenMpiNative.MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, OpenMpiNative.ThreadMultiple, out int provided), "MPI_Init_thread");
                if (provided < OpenMpiNative.ThreadMultiple)
                    Log.Warning("MPI provides thread level {Level}, not MPI_THREAD_MULTIPLE: the watchdog's abort may not interrupt a stuck collective", provided);
            }
            _initialised = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => FinalizeIfClean();
        }
        Check(OpenMpiNative.MPI_Comm_rank(OpenMpiNative.CommWorld, out int rank), "MPI_Comm_rank");
        Check(OpenMpiNative.MPI_Comm_size(OpenMpiNative.CommWorld, out int size), "MPI_Comm_size");
        return new MpiCollective(rank, size, timeout);
    }

    /// <summary>True after the last collective of a successful run: MPI_Finalize runs at process exit only then.</summary>
    public static bool CleanExit { get; set; }

    /// <summary>
    /// At process exit: MPI_Finalize when the run ended normally. After an error we exit WITHOUT finalising, so that
    /// mpirun/srun sees a rank leave without MPI_Finalize (or with a non-zero code) and ends the whole job at once
    /// instead of the other ranks waiting in their next collective.
    /// </summary>
    private static void FinalizeIfClean()
    {
        if (!_initialised || _finalised || !CleanExit) return;
        _finalised = true;
        OpenMpiNative.MPI_Finalize();
    }

    public string LibraryVersion() => OpenMpiNative.LibraryVersion();

    public void AllReduceSum(int rank, IReadOnlyList<Tensor> tensors, string tag)
    {
        CheckRank(rank);
        if (WorldSize == 1) return;
        foreach (var t in tensors) CheckTensor(t, tag);
        Agree("allreduce", tag, tensors.Sum(t => t.numel()));
        Guard("allreduce", tag, () =>
        {
            foreach (var t in tensors)
                ForChunks(t, (ptr, count, type) =>
                    Check(OpenMpiNative.MPI_Allreduce(OpenMpiNative.InPlace, ptr, count, type, OpenMpiNative.OpSum, OpenMpiNative.CommWorld), "MPI_Allreduce"));
        });
    }

    public void Broadcast(int rank, IReadOnlyList<Tensor> tensors, int root, string tag)
    {
        CheckRank(rank);
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root));
        if (WorldSize == 1) return;
        foreach (var t in tensors) CheckTensor(t, tag);
        Agree("broadcast", tag, tensors.Sum(t => t.numel()) * WorldSize + root);
        Guard("broadcast", tag, () =>
        {
            foreach (var t in tensors)
                ForChunks(t, (ptr, count, type) =>
                    Check(OpenMpiNative.MPI_Bcast(ptr, count, type, root, OpenMpiNative.CommWorld), "MPI_Bcast"));
        });
    }

    public void AllReduceSum(double[] values, string tag)
    {
        if (WorldSize == 1) return;
        Agree("allreduce", tag, values.Length);
        Guard("allreduce", tag, () =>
        {
            fixed (double* p = values)
                Check(OpenMpiNative.MPI_Allreduce(OpenMpiNative.InPlace, (IntPtr)p, values.Length, OpenMpiNative.Double, OpenMpiNative.OpSum,
                    OpenMpiNative.CommWorld), "MPI_Allreduce");
        });
    }

    /// <summary>Rank <paramref name="root"/>'s bytes on every rank (same length everywhere).</summary>
    public void Broadcast(byte[] bytes, int root, string tag)
    {
        if (WorldSize == 1) return;
        Agree("broadcast", tag, bytes.Length);
        Guard("broadcast", tag, () =>
        {
            fixed (byte* p = bytes)
                Check(OpenMpiNative.MPI_Bcast((IntPtr)p, bytes.Length, OpenMpiNative.Byte, root, OpenMpiNative.CommWorld), "MPI_Bcast");
        });
    }

    public void Barrier(string tag)
    {
        if (WorldSize == 1) return;
        Agree("barrier", tag, 0);
        Guard("barrier", tag, () => Check(OpenMpiNative.MPI_Barrier(OpenMpiNative.CommWorld), "MPI_Barrier"));
    }

    public void Abort(int exitCode)
    {
        Log.CloseAndFlush();
        OpenMpiNative.MPI_Abort(OpenMpiNative.CommWorld, exitCode);
        Environment.Exit(exitCode); // not reached with a launcher
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _watchdog.Dispose();
    }

    /// <summary>
    /// All ranks must be at the same collective: max over ranks of (h, -h) for a hash h of (operation, tag, size)
    /// equals (h, -h) on every rank exactly when all hashes agree. One 8-byte all-reduce, microseconds on one machine.
    /// </summary>
    private void Agree(string op, string tag, long size)
    {
        int h = StableHash($"{op}|{tag}|{size}");
        var pair = new[] { h, -h };
        Guard(op, tag, () =>
        {
            fixed (int* p = pair)
                Check(OpenMpiNative.MPI_Allreduce(OpenMpiNative.InPlace, (IntPtr)p, 2, OpenMpiNative.Int, OpenMpiNative.OpMax, OpenMpiNative.CommWorld),
                    "MPI_Allreduce");
        });
        if (pair[0] != h || pair[1] != -h)
            throw new InvalidOperationException(
                $"collective mismatch on rank {Rank}: this rank is at {op} '{tag}' ({size} elements) but another rank called a different collective, tag or size");
    }

    private void Guard(string op, string tag, Action call)
    {
        _watchdog.Enter(op, tag);
        try { call(); }
        finally { _watchdog.Exit(); }
    }

    private void CheckRank(int rank)
    {
        if (rank != Rank) throw new ArgumentException($"MpiCollective of rank {Rank} called for rank {rank}: one replica per process");
    }

    private static void CheckTensor(Tensor t, string tag)
    {
        if (t.device_type != DeviceType.CPU)
            throw new InvalidOperationException($"collective '{tag}': MpiCollective takes CPU tensors only (use the nccl backend for GPUs), got {t.device}");
        if (!t.is_contiguous())
            throw new InvalidOperationException($"collective '{tag}': tensor is not contiguous");
        if (t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new InvalidOperationException($"collective '{tag}': only fp32/fp64 tensors, got {t.dtype}");
    }

    /// <summary>Calls <paramref name="call"/> with (pointer, count, MPI type) for consecutive pieces of at most <see cref="MaxChunk"/> elements.</summary>
    private static void ForChunks(Tensor t, Action<IntPtr, int, IntPtr> call)
    {
        long n = t.numel();
        if (n == 0) return;
        var (ptr, elementSize, type) = Memory(t);
        for (long done = 0; done < n; done += MaxChunk)
            call(ptr + (nint)(done * elementSize), (int)Math.Min(MaxChunk, n - done), type);
    }

    /// <summary>The address of the tensor's first element: its storage's data pointer plus the storage offset.</summary>
    internal static (IntPtr Ptr, int ElementSize, IntPtr MpiType) Memory(Tensor t)
    {
        long offset = t.storage_offset();
        return t.dtype == ScalarType.Float32
            ? (t.storage<float>().data_ptr() + (nint)(offset * 4), 4, OpenMpiNative.Float)
            : (t.storage<double>().data_ptr() + (nint)(offset * 8), 8, OpenMpiNative.Double);
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            uint h = 2166136261; // FNV-1a: the same on every rank and process (string.GetHashCode is randomised per process)
            foreach (byte b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 16777619; }
            return (int)(h & 0x3FFFFFFF); // keep -h representable
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != OpenMpiNative.Success) throw new InvalidOperationException($"{call} failed with MPI error {rc}");
    }
}
