using Segmenter.Training.Optim;
using Segmenter.Models;
using Segmenter.Training;
using Segmenter.IO;

namespace Segmenter.Checkpoints;

/// <summary>
/// The one reader of model weights for eval, predict, export and the embedding API, for every task: a training
/// checkpoint (<c>.ckpt</c>, <see cref="Checkpointer"/>) as it is, or a plain state dict wrapped as a weights-only
/// checkpoint: safetensors (<c>segment export</c>), or a PyTorch zip <c>.pth</c> (<c>model.state_dict()</c>, or a dict
/// holding it under <c>state_dict</c> / <c>model</c>, as MMSegmentation and Detectron2 save). The caller applies it
/// strictly (every tensor, same shapes) with <see cref="Checkpoint.ApplyTo"/>.
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
        if (zip)
        {
            var state = PthReader.LoadStateDict(path);
            foreach (var t in state.Values) t.DetachFromDisposeScope();
            return new Checkpoint { Iteration = 0, Model = state, Source = path };
        }
        var contents = SafeTensors.Load(path);
        if (contents.Metadata.GetValueOrDefault("format") == Checkpointer.FormatName)
        {
            foreach (var t in contents.Tensors.Values) t.Dispose();
            return Checkpointer.Load(path);
        }
        foreach (var t in contents.Tensors.Values) t.DetachFromDisposeScope();
        return new Checkpoint { Iteration = 0, Model = contents.Tensors, Source = path };
    }
}
