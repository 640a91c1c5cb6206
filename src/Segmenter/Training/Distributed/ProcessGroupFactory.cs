using Serilog;
using TorchSharp;

namespace Segmenter.Training.Distributed;

/// <summary>Chooses and starts the multi-process backend from train.dist_backend and the launcher's environment.</summary>
public static class ProcessGroupFactory
{
    /// <summary>
    /// auto: mpi (or nccl when training on CUDA) when a launcher started several ranks, else null; inprocess: null
    /// (one process, which may still train in-process replicas); mpi / nccl: that backend, null if it reports a
    /// world of one. null means: run as a single process.
    /// </summary>
    public static IProcessGroup? Create(string backend, int timeoutSeconds, bool cuda, DistributedEnvironment? env = null)
    {
        env ??= DistributedEnvironment.Detect();
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        string chosen = backend switch
        {
            "auto" => env.IsDistributed ? (cuda ? "nccl" : "mpi") : "inprocess",
            _ => backend,
        };
        if (chosen == "nccl" && !cuda)
            throw new SegmenterException("train.dist_backend nccl needs CUDA devices but train.device is cpu", "train.dist_backend",
                "use --device cuda with --dist-backend nccl, or --dist-backend mpi on CPUs");
        IProcessGroup? group = chosen switch
        {
            "inprocess" => null,
            "mpi" => MpiCollective.Initialize(timeout),
            "nccl" => NcclCollective.Initialize(env, timeout),
            _ => throw new SegmenterException($"unknown train.dist_backend '{backend}'", "train.dist_backend", "auto, inprocess, mpi or nccl"),
        };
        if (group is null) return null;
        if (env.IsDistributed && (group.Rank != env.Rank || group.WorldSize != env.WorldSize))
            Log.Warning("The launcher says rank {EnvRank} of {EnvSize}, MPI says {Rank} of {Size}; using MPI's", env.Rank, env.WorldSize, group.Rank, group.WorldSize);
        if (group.WorldSize == 1)
        {
            MpiCollective.CleanExit = true;
            group.Dispose();
            return null;
        }
        return group;
    }

    /// <summary>
    /// Torch threads of this rank: train.threads when set, else the cores this process may use divided among the ranks
    /// on this machine (ranks would otherwise each start one thread per core and oversubscribe it). Logged.
    /// </summary>
    public static int ConfigureThreads(DistributedEnvironment env, int configuredThreads, int rank, int worldSize)
    {
        int cores = Environment.ProcessorCount;
        int threads = configuredThreads > 0 ? configuredThreads : env.ThreadsPerRank(cores);
        torch.set_num_threads(threads);
        Log.Information("Rank {Rank} of {World} (local {Local} of {LocalSize}, launcher {Launcher}): {Threads} torch threads ({Why})",
            rank, worldSize, env.LocalRank, env.LocalSize, env.Launcher, threads,
            configuredThreads > 0 ? "train.threads" : $"{cores} usable cores / {env.LocalSize} local ranks");
        return threads;
    }
}
