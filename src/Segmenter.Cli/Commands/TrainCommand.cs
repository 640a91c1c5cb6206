using System.CommandLine;
using Segmenter.Config;
using Segmenter.Logging;
using Segmenter.Training;
using Serilog;
using Segmenter.Checkpoints;

namespace Segmenter.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var workDir = new Option<string?>("--work-dir") { Description = "Where checkpoints, logs and metrics go (overrides train.work_dir)." };
        var resume = new Option<string?>("--resume") { Description = "auto = continue from the latest checkpoint in the work dir; or a checkpoint path." };
        var cfgOptions = CommonOptions.CfgOptions();
        var device = CommonOptions.Device();
        var replicas = new Option<int?>("--replicas") { Description = "Data-parallel replicas (overrides train.replicas); a device list cuda:0,1 sets it too." };
        var seed = new Option<int?>("--seed") { Description = "Random seed (overrides train.seed)." };
        var distBackend = new Option<string?>("--dist-backend") { Description = "Several processes (mpirun/srun): auto, inprocess, mpi or nccl (overrides train.dist_backend)." };
        var loadFrom = new Option<string?>("--load-from")
        {
            Description = "Start a new run from a trained model's weights (MMSegmentation's load_from; .pth, .ckpt or safetensors): " +
                          "iteration 0, fresh optimizer and schedule; tensors of another shape (the classifier) are skipped and reported. Overrides load_from.",
        };
        var stopAt = new Option<long?>("--stop-at") { Description = "Checkpoint and stop at this iteration (the schedule still runs to max_iters); continue later with --resume auto." };

        var cmd = new Command("train", "Train a model from a config. Ctrl+C, SIGTERM or train.requeue_signal checkpoints and stops (exit 143 after SIGTERM, 128+n after requeue signal n, which also runs scontrol requeue under Slurm); --resume auto continues exactly.")
        {
            config, workDir, resume, loadFrom, cfgOptions, device, seed, stopAt, replicas, distBackend,
        };
        cmd.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            if (parse.GetValue(loadFrom) is { } l && parse.GetValue(resume) is { } r)
                throw new SegmenterException($"--load-from {l} and --resume {r} are both given", "segment train",
                    "--resume continues a run (weights, optimizer, schedule, iteration); --load-from starts a new run at iteration 0 " +
                    "from a trained model's weights with a fresh optimizer and schedule: drop one of them");
            var cfg = CommonOptions.LoadConfig(parse.GetValue(config)!, parse.GetValue(cfgOptions),
                ("load_from", parse.GetValue(loadFrom)),
                ("train.work_dir", parse.GetValue(workDir)), ("train.device", parse.GetValue(device)),
                ("train.seed", parse.GetValue(seed)?.ToString()), ("train.replicas", parse.GetValue(replicas)?.ToString()),
                ("train.dist_backend", parse.GetValue(distBackend)));
            var yaml = ConfigWriter.ToYaml(cfg);
            Trainer.EnsureWritable(cfg.Train.WorkDir);
            // Under mpirun/srun only rank 0 writes train.log and config.yaml (the launcher's variables are read before MPI starts).
            int rank = Segmenter.Training.Distributed.DistributedEnvironment.Detect().Rank;
            if (rank == 0)
            {
                LogSetup.Configure(parse.GetValue(CommonOptions.Verbose), Path.Combine(cfg.Train.WorkDir, "train.log"));
                IO.AtomicFile.WriteAllText(Path.Combine(cfg.Train.WorkDir, "config.yaml"), yaml);
            }
            else RankLogSetup.Configure(parse.GetValue(CommonOptions.Verbose), rank);

            var slurm = Segmenter.Training.Distributed.SlurmJob.Detect();
            slurm?.LogStart();
            // Ctrl+C, SIGTERM and train.requeue_signal: finish the step, checkpoint, stop
            using var signals = new StopSignals(cfg.Train.RequeueSignal);
            {
                var options = new TrainOptions { ConfigYaml = yaml, Resume = parse.GetValue(resume), StopAt = parse.GetValue(stopAt), Cancel = signals.Token };
                var result = Trainer.Run(cfg, options);
                Log.Information("Results in {WorkDir}: checkpoints (iter_*.ckpt, best_<metric>.ckpt), train.log, metrics.jsonl, config.yaml", Path.GetFullPath(cfg.Train.WorkDir));
                if (result.LastValidation is { } eval)
                    Log.Information("Final {Summary}", eval.Summary());
                if (rank == 0) Visualization.RunReport.TryWrite(cfg.Train.WorkDir);
            }
            // The requeue signal: rank 0 asks Slurm to queue the job again once every rank has stopped and the checkpoint is written.
            if (signals.RequeueRequested && rank == 0)
            {
                if (slurm is not null) slurm.Requeue();
                else Log.Warning("{Signal} outside a Slurm job (no SLURM_JOB_ID): checkpoint written, nothing to requeue", cfg.Train.RequeueSignal);
            }
            return signals.ExitCode;
        }));
        return cmd;
    }
}
