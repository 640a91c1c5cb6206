using Segmenter.Training.Optim;
using Segmenter.Models;
using Segmenter.Training;
using System.Globalization;
using System.Text.RegularExpressions;
using Segmenter.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Checkpoints;

/// <summary>
/// Writes and finds checkpoints in a work dir. Each is one safetensors file written atomically (temp, flush,
/// rename) holding "model.&lt;key&gt;", "optimizer.&lt;key&gt;", "rng.torch" and metadata (format, iteration,
/// config YAML, architecture, extra JSON). The latest is found by scanning names (iter_########.ckpt), never
/// through a pointer file, so a crash mid-save leaves the previous one usable.
/// </summary>
public static partial class Checkpointer
{
    public const string FormatName = "segmenter.checkpoint";

    [GeneratedRegex(@"^iter_(\d{8,})\.ckpt$")]
    private static partial Regex IterName();

    public static string IterPath(string workDir, long iteration) =>
        Path.Combine(workDir, $"iter_{iteration.ToString("D8", CultureInfo.InvariantCulture)}.ckpt");

    /// <summary>Writes iter_{iteration:D8}.ckpt, then deletes all but the newest <paramref name="keepLast"/> iter_*.ckpt (0 = keep all). Returns the path.</summary>
    public static string Save(string workDir, long iteration, Checkpoint ckpt, int keepLast = 3)
    {
        if (iteration != ckpt.Iteration)
            throw new ArgumentException($"iteration {iteration} differs from the checkpoint's {ckpt.Iteration}");
        var path = IterPath(workDir, iteration);
        Write(path, ckpt);
        if (keepLast > 0)
            foreach (var (old, _) in ListIterCheckpoints(workDir).SkipLast(keepLast))
            {
                try { File.Delete(old); }
                catch (IOException) { /* a leftover old checkpoint is harmless */ }
                catch (UnauthorizedAccessException) { }
            }
        return path;
    }

    /// <summary>Writes best_{metric}.ckpt (replacing the previous best). Never removed by <see cref="Save"/>.</summary>
    public static string SaveBest(string workDir, Checkpoint ckpt, string metric = "mIoU")
    {
        var path = Path.Combine(workDir, $"best_{metric}.ckpt");
        Write(path, ckpt);
        return path;
    }

    /// <summary>Writes one checkpoint file atomically.</summary>
    public static void Write(string path, Checkpoint ckpt)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in ckpt.Model) tensors[$"model.{k}"] = t;
        foreach (var (k, t) in ckpt.Optimizer) tensors[$"optimizer.{k}"] = t;
        if (ckpt.RngState is not null) tensors["rng.torch"] = ckpt.RngState;
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = Checkpoint.FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["iteration"] = ckpt.Iteration.ToString(CultureInfo.InvariantCulture),
            ["config_yaml"] = ckpt.ConfigYaml,
            ["architecture"] = ckpt.Architecture,
            ["extra_json"] = ckpt.ExtraJson,
        };
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>The iter_*.ckpt with the highest iteration, or null when there is none (temp files are ignored).</summary>
    public static string? FindLatest(string workDir) =>
        ListIterCheckpoints(workDir).Select(x => x.Path).LastOrDefault();

    /// <summary>iter_*.ckpt files in the work dir, oldest first.</summary>
    public static IReadOnlyList<(string Path, long Iteration)> ListIterCheckpoints(string workDir)
    {
        if (!Directory.Exists(workDir)) return [];
        var found = new List<(string, long)>();
        foreach (var file in Directory.EnumerateFiles(workDir, "iter_*.ckpt"))
        {
            var m = IterName().Match(Path.GetFileName(file));
            if (m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long it))
                found.Add((file, it));
        }
        return found.OrderBy(x => x.Item2).ToList();
    }

    /// <summary>Reads a checkpoint. Missing, truncated or foreign files raise a one-line SegmenterException.</summary>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path))
            throw new SegmenterException("checkpoint not found", path, "check the path (checkpoints are <work_dir>/iter_########.ckpt or best_*.ckpt)");
        SafeTensors.Contents contents;
        try
        {
            contents = SafeTensors.Load(path);
        }
        catch (SegmenterException e) when (e.What.StartsWith("not a weight file", StringComparison.Ordinal))
        {
            throw; // another kind of file (WeightFileFormat): its message says what it is and what is accepted
        }
        catch (SegmenterException e)
        {
            throw new SegmenterException($"corrupt or truncated checkpoint ({e.What})", path,
                "delete it and resume from an older iter_*.ckpt", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new SegmenterException($"corrupt checkpoint ({e.GetType().Name}: {e.Message})", path,
                "delete it and resume from an older iter_*.ckpt", e);
        }

        var meta = contents.Metadata;
        void Fail(string what)
        {
            foreach (var t in contents.Tensors.Values) t.Dispose();
            throw new SegmenterException(what, path, "pass a checkpoint written by segment train (iter_*.ckpt or best_*.ckpt)");
        }
        if (meta.GetValueOrDefault("format") != FormatName) Fail("not a Segmenter checkpoint (no 'format' metadata)");
        if (!int.TryParse(meta.GetValueOrDefault("format_version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int version))
            Fail("checkpoint has no valid 'format_version'");
        if (version > Checkpoint.FormatVersion)
            Fail($"checkpoint format {version} is newer than this Segmenter reads ({Checkpoint.FormatVersion}); update Segmenter");
        if (!long.TryParse(meta.GetValueOrDefault("iteration"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long iteration))
            Fail("checkpoint has no valid 'iteration'");

        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor? rng = null;
        foreach (var (key, t) in contents.Tensors)
        {
            t.DetachFromDisposeScope();
            if (key.StartsWith("model.", StringComparison.Ordinal)) model[key["model.".Length..]] = t;
            else if (key.StartsWith("optimizer.", StringComparison.Ordinal)) optimizer[key["optimizer.".Length..]] = t;
            else if (key == "rng.torch") rng = t;
            else t.Dispose();
        }
        if (model.Count == 0)
        {
            foreach (var t in optimizer.Values) t.Dispose();
            rng?.Dispose();
            throw new SegmenterException("checkpoint holds no model tensors", path, "pass a checkpoint written by segment train");
        }
        return new Checkpoint
        {
            Iteration = iteration,
            Model = model,
            Optimizer = optimizer,
            RngState = rng,
            ConfigYaml = meta.GetValueOrDefault("config_yaml") ?? "",
            Architecture = meta.GetValueOrDefault("architecture") ?? "",
            ExtraJson = meta.GetValueOrDefault("extra_json") ?? "{}",
            Source = path,
        };
    }
}
