using System.Globalization;

namespace Segmenter.Training.Distributed;

/// <summary>
/// Where this process stands in a multi-process job, read from the launcher's environment before MPI starts:
/// Open MPI's mpirun (OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK/LOCAL_SIZE), a PMIx launcher (PMIX_RANK, with Slurm's
/// variables for the rest), Slurm's srun (SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID; only inside a job step, i.e. with
/// SLURM_STEP_ID set, because a batch script alone also carries SLURM_PROCID=0 and SLURM_NTASKS=N). No launcher:
/// world size 1, which is today's single-process behaviour.
/// </summary>
public sealed record DistributedEnvironment(int Rank, int WorldSize, int LocalRank, int LocalSize, string Launcher)
{
    public static DistributedEnvironment Single { get; } = new(0, 1, 0, 1, "none");

    public bool IsDistributed => WorldSize > 1;

    /// <summary>Reads the current process environment.</summary>
    public static DistributedEnvironment Detect() => Detect(name => Environment.GetEnvironmentVariable(name));

    /// <summary>Reads the launcher variables through <paramref name="get"/> (tests pass a dictionary).</summary>
    public static DistributedEnvironment Detect(Func<string, string?> get)
    {
        int? Int(string name) => int.TryParse(get(name), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : null;

        if (Int("OMPI_COMM_WORLD_RANK") is { } ompiRank && Int("OMPI_COMM_WORLD_SIZE") is { } ompiSize)
            return new(ompiRank, ompiSize, Int("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0, Int("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1, "mpirun");

        bool slurmStep = get("SLURM_STEP_ID") is not null || get("SLURM_STEPID") is not null;
        int? slurmSize = Int("SLURM_NTASKS") ?? Int("SLURM_NPROCS");
        int localSize = SlurmLocalSize(get("SLURM_STEP_TASKS_PER_NODE") ?? get("SLURM_TASKS_PER_NODE")) ?? Int("SLURM_NTASKS_PER_NODE") ?? 1;
        if (Int("PMIX_RANK") is { } pmixRank && slurmSize is { } pmixSize)
            return new(pmixRank, pmixSize, Int("SLURM_LOCALID") ?? 0, localSize, "pmix");
        if (slurmStep && Int("SLURM_PROCID") is { } procId && slurmSize is { } ntasks)
            return new(procId, ntasks, Int("SLURM_LOCALID") ?? 0, localSize, "srun");
        return Single;
    }

    /// <summary>Slurm's tasks-per-node list ("4(x2),3" -> 4, the first node's count; used only for thread counts).</summary>
    private static int? SlurmLocalSize(string? tasksPerNode)
    {
        if (string.IsNullOrEmpty(tasksPerNode)) return null;
        var first = tasksPerNode.Split(',')[0];
        int paren = first.IndexOf('(');
        if (paren >= 0) first = first[..paren];
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;
    }

    /// <summary>Torch threads per rank: the cores this process may use (its CPU affinity) divided among the ranks of this machine.</summary>
    public int ThreadsPerRank(int cores)
    {
        // Environment.ProcessorCount honours the affinity mask: when the launcher binds each rank to its own cores
        // (mpirun does with -np <= 2), it already counts only this rank's cores.
        int machineCores = Math.Max(1, cores);
        return Math.Max(1, machineCores / Math.Max(1, LocalSize));
    }
}
