using Segmenter.Training.Optim;
using Segmenter.Models;
using Segmenter.Training;
using Segmenter.IO;
using Serilog;
using static TorchSharp.torch;

namespace Segmenter.Checkpoints;

/// <summary>
/// The one reader of model weights for eval, predict, export and the embedding API, for every task: a training
/// checkpoint (<c>.ckpt</c>, <see cref="Checkpointer"/>) as it is, or a plain state dict wrapped as a weights-only
/// checkpoint: safetensors (<c>segment export</c>), or a PyTorch zip <c>.pth</c> (<c>model.state_dict()</c>, or a dict
/// holding it under <c>state_dict</c> / <c>model</c>, as MMSegmentation and Detectron2 save; its <c>meta</c>'s class names
/// and palette are kept, <see cref="CheckpointMeta"/>). A leading <c>module.</c> (weights saved from a DataParallel /
/// DistributedDataParallel wrapper) is stripped from every key of every format. The caller applies it strictly (every
/// tensor, same shapes) with <see cref="Checkpoint.ApplyTo"/>.
/// </summary>
public static class WeightsReader
{
    public static Checkpoint Read(string path)
    {
        if (!File.Exists(path))
            throw new SegmenterException("weights file not found", path,
                "check the path (training writes <work_dir>/iter_########.ckpt and best_<metric>.ckpt; also accepted: .safetensors, PyTorch .pth)");
        bool zip;
        using (var fs = File.OpenRead(path)) zip = fs.ReadByte() == 'P' && fs.ReadByte() == 'K';
        Checkpoint ckpt;
        if (zip)
        {
            (IReadOnlyList<string>? Names, IReadOnlyList<(byte R, byte G, byte B)>? Palette) meta = default;
            var state = PthReader.LoadStateDict(path, top => meta = CheckpointMeta.Read(top, path));
            foreach (var t in state.Values) t.DetachFromDisposeScope();
            ckpt = new Checkpoint { Iteration = 0, Model = state, Source = path, ClassNames = meta.Names, Palette = meta.Palette };
        }
        else
        {
            var contents = SafeTensors.Load(path);
            if (contents.Metadata.GetValueOrDefault("format") == Checkpointer.FormatName)
            {
                foreach (var t in contents.Tensors.Values) t.Dispose();
                ckpt = Checkpointer.Load(path);
            }
            else
            {
                foreach (var t in contents.Tensors.Values) t.DetachFromDisposeScope();
                ckpt = new Checkpoint { Iteration = 0, Model = contents.Tensors, Source = path };
            }
        }
        try
        {
            StripModulePrefix(ckpt.Model, path);
            return ckpt;
        }
        catch
        {
            ckpt.Dispose();
            throw;
        }
    }

    private const string ModulePrefix = "module.";

    /// <summary>
    /// Renames every key <c>module.X</c> to <c>X</c> in place, as mmengine's <c>load_checkpoint</c> does by default
    /// (<c>revise_keys=[(r'^module\.', '')]</c>): DataParallel and DistributedDataParallel save their wrapped model's
    /// parameters under <c>module.</c>. A file holding both <c>module.X</c> and <c>X</c> is refused (which is meant is unclear).
    /// </summary>
    internal static void StripModulePrefix(Dictionary<string, Tensor> model, string path)
    {
        int stripped = model.Keys.Count(k => k.StartsWith(ModulePrefix, StringComparison.Ordinal));
        if (stripped == 0) return;
        var renamed = new Dictionary<string, Tensor>(model.Count, StringComparer.Ordinal);
        foreach (var (key, t) in model)
        {
            var name = key.StartsWith(ModulePrefix, StringComparison.Ordinal) ? key[ModulePrefix.Length..] : key;
            if (!renamed.TryAdd(name, t))
                throw new SegmenterException($"the weights hold both '{name}' and '{ModulePrefix}{name}' (a DataParallel prefix on some keys only)", path,
                    "re-save the weights from the unwrapped model (model.module.state_dict())");
        }
        model.Clear();
        foreach (var (key, t) in renamed) model[key] = t;
        Log.Information("{Path}: stripped the DataParallel prefix 'module.' from {Count} keys", path, stripped);
    }
}
