using Segmenter.Training.Optim;
using Segmenter.Models;
using Segmenter.Training;
using Segmenter.IO;
using Segmenter.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Checkpoints;

/// <summary>
/// What a weight import did: the keys the model has but the file lacked (they keep their fresh init, e.g. the
/// `deattn.*` PSA modules or a deep stem), keys the file has but the model lacks, and keys whose shapes differ
/// (also left at their init). <see cref="Ignored"/> lists file keys that are expected to be unused (`fc.*`).
/// </summary>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatch)
{
    public int Loaded { get; init; }
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>A few log lines: counts plus the first keys of each list.</summary>
    public string Summary(int maxKeys = 8)
    {
        static string List(IReadOnlyList<string> keys, int max) =>
            string.Join(", ", keys.Take(max)) + (keys.Count > max ? $", ... ({keys.Count - max} more)" : "");
        var lines = new List<string> { $"loaded {Loaded} tensors; ignored {Ignored.Count} expected-unused (fc.*)" };
        if (Missing.Count > 0) lines.Add($"newly initialised (not in file) {Missing.Count}: {List(Missing, maxKeys)}");
        if (Unexpected.Count > 0) lines.Add($"unexpected (not in model) {Unexpected.Count}: {List(Unexpected, maxKeys)}");
        if (ShapeMismatch.Count > 0) lines.Add($"shape mismatch (kept init) {ShapeMismatch.Count}: {List(ShapeMismatch, maxKeys)}");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Imports ImageNet weights with torchvision names into a backbone (safetensors, or a PyTorch zip .pth read by
/// <see cref="PthReader"/>). Prefixes `module.` (DataParallel) and `backbone.` (mmseg checkpoints) are stripped.
/// </summary>
public static class PretrainedLoader
{
    public static LoadReport LoadBackbone(Backbone backbone, string path)
    {
        var tensors = ReadTensors(path);
        try
        {
            var renamed = new Dictionary<string, Tensor>();
            bool hasBackbonePrefix = tensors.Keys.Any(k => StripModule(k).StartsWith("backbone.", StringComparison.Ordinal));
            foreach (var (k, v) in tensors)
            {
                var name = StripModule(k);
                if (hasBackbonePrefix)
                    name = name.StartsWith("backbone.", StringComparison.Ordinal) ? name["backbone.".Length..] : "<not backbone> " + name;
                renamed[name] = v;
            }
            return Load(backbone, renamed, name => name.StartsWith("fc.", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Reads a weight file by its format: zip (.pth/.pt) or safetensors.</summary>
    public static Dictionary<string, Tensor> ReadTensors(string path)
    {
        if (!File.Exists(path))
            throw new SegmenterException("pretrained weights not found", path, "check model.backbone.pretrained (null = random init)");
        bool zip;
        using (var fs = File.OpenRead(path)) zip = fs.ReadByte() == 'P' && fs.ReadByte() == 'K';
        return zip ? PthReader.LoadStateDict(path) : SafeTensors.Load(path).Tensors;
    }

    /// <summary>
    /// Copies matching tensors (by exact state-dict name) into <paramref name="module"/> under no_grad,
    /// converting dtype and device; everything else is reported, nothing throws for a mismatch.
    /// </summary>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, Func<string, bool>? expectedUnused = null)
    {
        var target = module.state_dict();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var mismatch = new List<string>();
        var ignored = new List<string>();
        int loaded = 0;
        using (torch.no_grad())
        {
            foreach (var (name, dst) in target)
            {
                if (!tensors.TryGetValue(name, out var src)) { missing.Add(name); continue; }
                if (!src.shape.SequenceEqual(dst.shape))
                {
                    mismatch.Add($"{name} file [{string.Join(",", src.shape)}] model [{string.Join(",", dst.shape)}]");
                    continue;
                }
                dst.copy_(src);
                loaded++;
            }
        }
        foreach (var name in tensors.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal))
            (expectedUnused?.Invoke(name) == true ? ignored : unexpected).Add(name);
        return new LoadReport(missing, unexpected, mismatch) { Loaded = loaded, Ignored = ignored };
    }

    private static string StripModule(string k) => k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k;
}
