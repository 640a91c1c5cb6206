using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Training.Distributed;

/// <summary>
/// <see cref="IProcessGroup"/> for one process per GPU over NCCL (libnccl.so.2, NCCL 2.x C API, nccl.h): rank 0 makes
/// the 128-byte ncclUniqueId, MPI broadcasts it (MPI only ever sees host memory), every rank calls
/// ncclCommInitRank on cuda:LOCAL_RANK. Tensor collectives run on the GPU on the default stream (TorchSharp exposes no
/// stream handle) followed by a device synchronisation: correct, without overlap of communication and backward.
/// Host-side vectors, barriers and the abort go through the <see cref="MpiCollective"/> underneath.
/// NOT RUN in this project's sandbox (no GPU, no NCCL, TorchSharp-cpu): it builds, is selected by
/// train.dist_backend=nccl / --dist-backend nccl, and fails with one line where libnccl.so.2 or CUDA is missing.
/// </summary>
public sealed unsafe class NcclCollective : IProcessGroup
{
    private const string Library = "libnccl.so.2";
    private const int NcclFloat32 = 7, NcclFloat64 = 8, NcclSum = 0; // ncclDataType_t / ncclRedOp_t values of nccl.h (2.x)

    [StructLayout(LayoutKind.Sequential, Size = 128)]
    private struct UniqueId { public fixed byte Internal[128]; }

    [DllImport(Library)] private static extern int ncclGetUniqueId(out UniqueId id);
    [DllImport(Library)] private static extern int ncclCommInitRank(out IntPtr comm, int nranks, UniqueId id, int rank);
    [DllImport(Library)] private static extern int ncclCommDestroy(IntPtr comm);
    [DllImport(Library)] private static extern int ncclCommAbort(IntPtr comm);
    [DllImport(Library)] private static extern int ncclAllReduce(IntPtr sendbuff, IntPtr recvbuff, nuint count, int datatype, int op, IntPtr comm, IntPtr stream);
    [DllImport(Library)] private static extern int ncclBroadcast(IntPtr sendbuff, IntPtr recvbuff, nuint count, int datatype, int root, IntPtr comm, IntPtr stream);
    [DllImport(Library)] private static extern IntPtr ncclGetErrorString(int result);

    private readonly MpiCollective _mpi;
    private readonly IntPtr _comm;
    private readonly CollectiveWatchdog _watchdog;

    public int Rank => _mpi.Rank;
    public int WorldSize => _mpi.WorldSize;
    public string Backend => "nccl";
    /// <summary>The GPU of this rank: cuda:LOCAL_RANK.</summary>
    public Device Device { get; }

    private NcclCollective(MpiCollective mpi, IntPtr comm, Device device, TimeSpan timeout)
    {
        _mpi = mpi;
        _comm = comm;
        Device = device;
        _watchdog = new CollectiveWatchdog(timeout, mpi.Rank, () => { ncclCommAbort(_comm); _mpi.Abort(3); });
    }

    /// <summary>Checks NCCL and CUDA first (one-line errors naming what is missing), then initialises MPI and NCCL.</summary>
    public static NcclCollective Initialize(DistributedEnvironment env, TimeSpan timeout)
    {
        if (!NativeLibrary.TryLoad(Library, out _))
            throw new SegmenterException($"{Library} not found: the nccl backend needs NVIDIA's NCCL library and CUDA GPUs", "train.dist_backend",
                "install NCCL (libnccl2) on the GPU machines, or use --dist-backend mpi (CPU)");
        if (!torch.cuda.is_available())
            throw new SegmenterException("CUDA is not available to TorchSharp (CPU-only build or no GPU): the nccl backend needs one GPU per rank",
                "train.dist_backend", "run with the TorchSharp-cuda package on GPU machines, or use --dist-backend mpi");
        var mpi = MpiCollective.Initialize(timeout);
        var device = torch.device(DeviceType.CUDA, env.LocalRank);
        var idBytes = new byte[128];
        if (mpi.Rank == 0)
        {
            Check(ncclGetUniqueId(out var made), "ncclGetUniqueId");
            new ReadOnlySpan<byte>(made.Internal, 128).CopyTo(idBytes);
        }
        mpi.Broadcast(idBytes, root: 0, "nccl-unique-id");
        var id = new UniqueId();
        idBytes.CopyTo(new Span<byte>(id.Internal, 128));
        using (torch.zeros(1, device: device)) { } // makes cuda:LOCAL_RANK current in LibTorch before NCCL binds to it
        Check(ncclCommInitRank(out var comm, mpi.WorldSize, id, mpi.Rank), "ncclCommInitRank");
        return new NcclCollective(mpi, comm, device, timeout);
    }

    public void AllReduceSum(int rank, IReadOnlyList<Tensor> tensors, string tag)
    {
        if (rank != Rank) throw new ArgumentException($"NcclCollective of rank {Rank} called for rank {rank}");
        Run("allreduce", tag, tensors, (ptr, n, type) => ncclAllReduce(ptr, ptr, n, type, NcclSum, _comm, IntPtr.Zero));
    }

    public void Broadcast(int rank, IReadOnlyList<Tensor> tensors, int root, string tag)
    {
        if (rank != Rank) throw new ArgumentException($"NcclCollective of rank {Rank} called for rank {rank}");
        Run("broadcast", tag, tensors, (ptr, n, type) => ncclBroadcast(ptr, ptr, n, type, root, _comm, IntPtr.Zero));
    }

    public void Barrier(string tag) => _mpi.Barrier(tag);
    public void AllReduceSum(double[] values, string tag) => _mpi.AllReduceSum(values, tag);
    public void Abort(int exitCode) => _mpi.Abort(exitCode);

    private void Run(string op, string tag, IReadOnlyList<Tensor> tensors, Func<IntPtr, nuint, int, int> call)
    {
        if (WorldSize == 1) return;
        _watchdog.Enter(op, tag);
        try
        {
            foreach (var t in tensors)
            {
                if (t.device_type != DeviceType.CUDA || !t.is_contiguous() || t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                    throw new InvalidOperationException($"collective '{tag}': NcclCollective takes contiguous fp32/fp64 CUDA tensors, got {t.dtype} on {t.device}");
                long offset = t.storage_offset();
                var (ptr, type) = t.dtype == ScalarType.Float32
                    ? (t.storage<float>().data_ptr() + (nint)(offset * 4), NcclFloat32)
                    : (t.storage<double>().data_ptr() + (nint)(offset * 8), NcclFloat64);
                Check(call(ptr, (nuint)t.numel(), type), $"nccl {op} '{tag}'");
            }
            torch.cuda.synchronize(Device); // default stream: the result is ready when this returns
        }
        finally { _watchdog.Exit(); }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringAnsi(ncclGetErrorString(rc))} (ncclResult {rc})");
    }

    public void Dispose()
    {
        _watchdog.Dispose();
        ncclCommDestroy(_comm);
        _mpi.Dispose();
    }
}
