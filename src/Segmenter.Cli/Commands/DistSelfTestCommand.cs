using System.CommandLine;
using Segmenter.Training.Distributed;

namespace Segmenter.Cli.Commands;

/// <summary>Hidden verb: checks the multi-process collectives under a launcher (mpirun -np 2 segment dist-selftest).</summary>
public static class DistSelfTestCommand
{
    public static Command Create()
    {
        var backend = new Option<string>("--dist-backend") { Description = "mpi or nccl.", DefaultValueFactory = _ => "mpi" };
        var elements = new Option<long>("--elements") { Description = "Elements per tensor.", DefaultValueFactory = _ => 1000 };
        var timeout = new Option<int>("--timeout-s") { Description = "Collective watchdog timeout (seconds).", DefaultValueFactory = _ => 600 };
        var chunk = new Option<int?>("--chunk") { Description = "Elements per MPI call (exercise the chunking)." };
        var hang = new Option<int?>("--hang-rank") { Description = "This rank skips the all-reduce and sleeps." };
        var fail = new Option<int?>("--fail-rank") { Description = "This rank throws before the all-reduce." };
        var mismatch = new Option<int?>("--mismatch-rank") { Description = "This rank uses a different tag." };
        var cmd = new Command("dist-selftest", "Check the MPI/NCCL collectives under mpirun/srun.") { backend, elements, timeout, chunk, hang, fail, mismatch };
        cmd.Hidden = true;
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            Console.WriteLine(DistributedSelfTest.Run(new SelfTestOptions
            {
                Backend = parse.GetValue(backend)!, Elements = parse.GetValue(elements), TimeoutSeconds = parse.GetValue(timeout),
                ChunkElements = parse.GetValue(chunk), HangRank = parse.GetValue(hang), FailRank = parse.GetValue(fail),
                MismatchRank = parse.GetValue(mismatch),
            }));
            return 0;
        }));
        return cmd;
    }
}
