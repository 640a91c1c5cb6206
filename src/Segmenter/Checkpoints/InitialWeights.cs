using System.Text.Json;
using System.Text.RegularExpressions;
using Segmenter.Evaluation;
using Segmenter.IO;
using Serilog;
using TorchSharp;

namespace Segmenter.Checkpoints;

/// <summary>
/// <c>load_from</c>: initialises a whole model from a trained model's weights at the start of a new run, as
/// MMSegmentation's <c>load_from</c> (mmengine <c>Runner.load_checkpoint</c> with <c>strict=False</c>), Detectron2's
/// <c>MODEL.WEIGHTS</c> and DeepLab2's <c>initial_checkpoint</c> do. The file is read by <see cref="WeightsReader"/>
/// (every format eval reads), its keys rewritten by the <c>revise_keys</c> pairs, and every tensor whose name and shape
/// equal the model's is copied; tensors of another shape (the classifier when num_classes changes) are skipped, and
/// missing, unexpected and skipped keys are reported in one table (log and <c>work_dir/load_from.json</c>). A file
/// whose tensors mostly do not fit is the wrong architecture: refused, naming what it looks like.
/// </summary>
public static class InitialWeights
{
    /// <summary>The share of the model's tensors that must load; below it the file is refused as another architecture.</summary>
    public const double MinLoadedShare = 0.5;

    private const int MaxLoggedRows = 60;

    /// <summary>Applies <paramref name="path"/> to <paramref name="model"/>, logs the table and writes it to <paramref name="workDir"/>.</summary>
    public static LoadReport Apply(torch.nn.Module model, string path, IReadOnlyList<IReadOnlyList<string>> reviseKeys, string? workDir)
    {
        using var ckpt = WeightsReader.Read(path);
        var tensors = Revise(ckpt.Model, reviseKeys, path);
        var target = model.state_dict();
        var modelKeys = target.Keys.ToList();
        int fitting = target.Count(kv => tensors.TryGetValue(kv.Key, out var t) && t.shape.SequenceEqual(kv.Value.shape));
        if (fitting < MinLoadedShare * modelKeys.Count)
            throw new SegmenterException(
                $"only {fitting} of the model's {modelKeys.Count} tensors are in this file with the same name and shape; " +
                $"it looks like {Describe(tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape))}",
                path, "load_from expects a trained model of the config's architecture: use its config, add revise_keys rules for a foreign layout, " +
                      "or for backbone weights alone use model.backbone.pretrained");
        var report = PretrainedLoader.Load(model, tensors);
        Log.Information("load_from {Path}: {Loaded} of {Total} tensors loaded, {Skipped} skipped (shape), {Missing} missing, {Unexpected} unexpected{Table}",
            path, report.Loaded, modelKeys.Count, report.ShapeMismatch.Count, report.Missing.Count, report.Unexpected.Count,
            report.Missing.Count + report.Unexpected.Count + report.ShapeMismatch.Count == 0 ? "" : Environment.NewLine + Table(report, MaxLoggedRows));
        if (workDir is not null) WriteJson(Path.Combine(workDir, "load_from.json"), path, modelKeys.Count, report);
        return report;
    }

    /// <summary>True when <paramref name="pattern"/> is a valid regular expression (revise_keys is checked at load).</summary>
    public static bool IsPattern(string pattern)
    {
        try { _ = new Regex(pattern); return true; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>
    /// Every key rewritten by each [pattern, replacement] pair in turn, every match replaced (Python's re.sub; its
    /// \1 and \g&lt;name&gt; group references are accepted beside .NET's $1 and ${name}). Two keys that end up equal are refused.
    /// </summary>
    internal static Dictionary<string, torch.Tensor> Revise(IReadOnlyDictionary<string, torch.Tensor> tensors,
        IReadOnlyList<IReadOnlyList<string>> reviseKeys, string path)
    {
        var rules = reviseKeys.Select(p => (Pattern: new Regex(p[0], RegexOptions.CultureInvariant), Replacement: DotNetReplacement(p[1]))).ToList();
        var revised = new Dictionary<string, torch.Tensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var (key, t) in tensors)
        {
            var name = key;
            foreach (var (pattern, replacement) in rules) name = pattern.Replace(name, replacement);
            if (!revised.TryAdd(name, t))
                throw new SegmenterException($"revise_keys turns two of the file's keys into '{name}' (one of them is '{key}')", path,
                    "change the revise_keys rules so that the renamed keys stay distinct");
        }
        return revised;
    }

    private static string DotNetReplacement(string python) =>
        Regex.Replace(Regex.Replace(python.Replace("$", "$$"), @"\\g<(\w+)>", "$${$1}"), @"\\(\d+)", "$${$1}");

    /// <summary>What a set of state-dict keys looks like, in words (the closest architecture the names reveal).</summary>
    public static string Describe(IReadOnlyDictionary<string, long[]> shapes)
    {
        var k = shapes.Keys.ToList();
        if (k.Count == 0) return "an empty file (no tensors)";
        bool Has(string part) => k.Any(x => x.Contains(part, StringComparison.Ordinal));
        string? trunk = Has("hight_block") ? "Axial-ResNet" : ResNetName(k);
        string psa = Has(".deattn.") ? " with PSA" : "";
        if (Has("decoder.semantic_decoder") || Has("decoder.instance_decoder"))
            return $"a Panoptic-DeepLab model on {trunk ?? "an unknown trunk"}{psa} (model.type: panoptic_deeplab)";
        string head = Has("decode_head.aspp_modules") ? "DeepLabV3+ (decode_head.type: deeplabv3plus)"
            : Has("decode_head.global_relation") ? "ISANet (decode_head.type: isa)"
            : Has("decode_head.") ? "an encoder-decoder with another decode head"
            : "";
        if (head.Length > 0)
        {
            string aux = Has("auxiliary_head.") ? " with an auxiliary head" : "";
            string classes = shapes.TryGetValue("decode_head.conv_seg.bias", out var bias) && bias.Length == 1 ? $", {bias[0]} classes" : "";
            return $"{head} on {trunk ?? "an unknown trunk"}{psa}{aux}{classes}";
        }
        if (trunk is not null)
            return Has("fc.weight") ? $"an ImageNet classifier ({trunk}): backbone weights, for model.backbone.pretrained"
                : $"a {trunk} backbone alone: for model.backbone.pretrained";
        return $"an unknown layout (first keys: {string.Join(", ", k.Order(StringComparer.Ordinal).Take(3))})";
    }

    /// <summary>"ResNet-N" from the blocks the keys list, or null when no ResNet stage is named.</summary>
    private static string? ResNetName(List<string> keys)
    {
        var blocks = new int[4];
        bool bottleneck = false, deepStem = false, found = false;
        foreach (var key in keys)
        {
            var m = Regex.Match(key, @"(?:^|\.)layer([1-4])\.(\d+)\.(conv3)?");
            if (m.Success)
            {
                found = true;
                int stage = int.Parse(m.Groups[1].Value) - 1;
                blocks[stage] = Math.Max(blocks[stage], int.Parse(m.Groups[2].Value) + 1);
                bottleneck |= m.Groups[3].Success;
            }
            deepStem |= Regex.IsMatch(key, @"(?:^|\.)stem\.\d+\.");
        }
        if (!found) return null;
        int depth = bottleneck ? 2 + 3 * blocks.Sum() : 2 + 2 * blocks.Sum();
        return $"ResNet-{depth}{(deepStem ? " with a deep stem" : "")}";
    }

    /// <summary>One row per key that did not load as it is: skipped (shape), missing (not in file), unexpected (not in model).</summary>
    public static string Table(LoadReport report, int maxRows = int.MaxValue)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var s in report.ShapeMismatch)
        {
            var parts = s.Split(' ', 2);
            rows.Add(["skipped (shape)", parts[0], parts.Length > 1 ? parts[1] : ""]);
        }
        rows.AddRange(report.Missing.Select(k => (IReadOnlyList<string>)["missing (kept init)", k, "not in the file"]));
        rows.AddRange(report.Unexpected.Select(k => (IReadOnlyList<string>)["unexpected (ignored)", k, "not in the model"]));
        var shown = rows.Take(maxRows).ToList();
        if (rows.Count > maxRows) shown.Add(["...", $"{rows.Count - maxRows} more rows", "see load_from.json"]);
        return TextTable.Pretty(["status", "key", "detail"], shown);
    }

    private static void WriteJson(string file, string source, int total, LoadReport report)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["load_from"] = Path.GetFullPath(source),
            ["model_tensors"] = total,
            ["loaded"] = report.Loaded,
            ["skipped_shape"] = report.ShapeMismatch,
            ["missing"] = report.Missing,
            ["unexpected"] = report.Unexpected,
            ["table"] = Table(report),
        }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllText(file, json);
    }
}
