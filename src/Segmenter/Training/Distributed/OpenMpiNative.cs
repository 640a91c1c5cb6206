using System.Runtime.InteropServices;

namespace Segmenter.Training.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound by P/Invoke to Open MPI's C library. The binding assumes the
/// Open MPI 4.x ABI of <c>libmpi.so.40</c> (Debian/Ubuntu <c>libopenmpi3</c>, Open MPI 4.0/4.1; checked with 4.1.4):
/// handles are pointers, and the predefined ones are the ADDRESSES of exported globals (<c>MPI_COMM_WORLD</c> is
/// <c>&amp;ompi_mpi_comm_world</c>, <c>MPI_FLOAT</c> is <c>&amp;ompi_mpi_float</c>, <c>MPI_SUM</c> is
/// <c>&amp;ompi_mpi_op_sum</c>; see Open MPI's mpi.h), read with <see cref="NativeLibrary.GetExport"/>;
/// <c>MPI_IN_PLACE</c> is <c>(void*)1</c>; <c>MPI_THREAD_MULTIPLE</c> is 3. MPICH-family libraries (libmpi.so.12)
/// use integer handles and are NOT supported by this file. The MPI.NET NuGet package is Windows-only, hence our own.
/// </summary>
internal static unsafe class OpenMpiNative
{
    public const string Library = "libmpi.so.40";
    public const int ThreadMultiple = 3;
    public const int Success = 0;
    public static readonly IntPtr InPlace = 1;

    private static IntPtr _lib;

    public static IntPtr CommWorld { get; private set; }
    public static IntPtr Float { get; private set; }
    public static IntPtr Double { get; private set; }
    public static IntPtr Int { get; private set; }
    public static IntPtr Byte { get; private set; }
    public static IntPtr OpSum { get; private set; }
    public static IntPtr OpMax { get; private set; }

    /// <summary>
    /// Loads libmpi with RTLD_GLOBAL (Open MPI dlopens its own plugins, which need libmpi's symbols globally visible;
    /// .NET's NativeLibrary loads with RTLD_LOCAL) and resolves the predefined handles. Throws
    /// <see cref="DllNotFoundException"/> when the library is missing.
    /// </summary>
    public static void Load()
    {
        if (_lib != IntPtr.Zero) return;
        const int RtldNow = 2, RtldGlobal = 0x100;
        IntPtr global;
        try { global = dlopen_dl(Library, RtldNow | RtldGlobal); }
        catch (DllNotFoundException) { global = dlopen_c(Library, RtldNow | RtldGlobal); }
        if (global == IntPtr.Zero) throw new DllNotFoundException($"{Library} could not be loaded");
        _lib = NativeLibrary.Load(Library);
        CommWorld = NativeLibrary.GetExport(_lib, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(_lib, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(_lib, "ompi_mpi_double");
        Int = NativeLibrary.GetExport(_lib, "ompi_mpi_int");
        Byte = NativeLibrary.GetExport(_lib, "ompi_mpi_byte");
        OpSum = NativeLibrary.GetExport(_lib, "ompi_mpi_op_sum");
        OpMax = NativeLibrary.GetExport(_lib, "ompi_mpi_op_max");
    }

    [DllImport("libdl.so.2", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen_dl(string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen_c(string file, int mode);

    [DllImport(Library)] public static extern int MPI_Initialized(out int flag);
    [DllImport(Library)] public static extern int MPI_Finalized(out int flag);
    [DllImport(Library)] public static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);
    [DllImport(Library)] public static extern int MPI_Finalize();
    [DllImport(Library)] public static extern int MPI_Abort(IntPtr comm, int errorcode);
    [DllImport(Library)] public static extern int MPI_Comm_rank(IntPtr comm, out int rank);
    [DllImport(Library)] public static extern int MPI_Comm_size(IntPtr comm, out int size);
    [DllImport(Library)] public static extern int MPI_Barrier(IntPtr comm);
    [DllImport(Library)] public static extern int MPI_Allreduce(IntPtr sendbuf, IntPtr recvbuf, int count, IntPtr datatype, IntPtr op, IntPtr comm);
    [DllImport(Library)] public static extern int MPI_Bcast(IntPtr buffer, int count, IntPtr datatype, int root, IntPtr comm);
    [DllImport(Library)] public static extern int MPI_Get_library_version(byte* version, out int length);

    /// <summary>Open MPI's version line (e.g. "Open MPI v4.1.4, ...").</summary>
    public static string LibraryVersion()
    {
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI; generous
        fixed (byte* p = buffer)
        {
            MPI_Get_library_version(p, out int n);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, Math.Clamp(n, 0, buffer.Length)).Split('\n')[0].Trim('\0', ' ');
        }
    }
}
