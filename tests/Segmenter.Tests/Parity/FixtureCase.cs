using System.Text.Json;
using Segmenter.IO;
using static TorchSharp.torch;

namespace Segmenter.Tests.Parity;

/// <summary>
/// One parity fixture (a .safetensors file made by running an official PyTorch module once forward and once
/// backward): the module's class and constructor arguments, mode and dtype from <c>__metadata__</c>, the state_dict
/// before the pass (<c>param.*</c>), the input/output, the upstream gradient and the reference gradients, and in
/// train mode the BatchNorm buffers after the pass. Owns its tensors.
/// </summary>
public sealed class FixtureCase : IDisposable
{
    public string Path { get; }
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Official class name, e.g. PSA_p, ISA_Module, mmseg_ISAHead, AxialBlock.</summary>
    public string ClassName { get; }
    /// <summary>Human description of the module (metadata <c>module</c>).</summary>
    public string ModuleDescription { get; }
    public string CtorArgsJson { get; }
    public JsonElement CtorArgs { get; }
    public bool Train { get; }
    public string Mode => Train ? "train" : "eval";
    public ScalarType DType { get; }
    public IReadOnlyList<string> ParamsWithZeroGrad { get; }

    /// <summary>state_dict before the pass, official keys (prefix <c>param.</c> removed).</summary>
    public IReadOnlyDictionary<string, Tensor> Params { get; }
    public Tensor Input { get; }
    public Tensor Output { get; }
    public Tensor GradOutput { get; }
    public Tensor GradInput { get; }
    /// <summary>Gradient of every parameter (named_parameters keys, prefix <c>grad.param.</c> removed).</summary>
    public IReadOnlyDictionary<string, Tensor> GradParams { get; }
    /// <summary>BatchNorm buffers after a training pass (prefix <c>buffer_after.</c> removed); empty in eval files.</summary>
    public IReadOnlyDictionary<string, Tensor> BuffersAfter { get; }

    private readonly Dictionary<string, Tensor> _all;

    private FixtureCase(string path, SafeTensors.Contents contents)
    {
        Path = path;
        _all = contents.Tensors;
        Metadata = contents.Metadata;
        ClassName = Meta("class");
        ModuleDescription = Metadata.TryGetValue("module", out var m) ? m : ClassName;
        CtorArgsJson = Meta("ctor_args");
        try { CtorArgs = JsonDocument.Parse(CtorArgsJson).RootElement.Clone(); }
        catch (JsonException e) { throw new SegmenterException($"ctor_args is not JSON: {e.Message}", $"{path}: __metadata__.ctor_args", "regenerate the fixture", e); }
        Train = Meta("mode") switch
        {
            "train" => true,
            "eval" => false,
            var other => throw new SegmenterException($"mode '{other}' is neither train nor eval", $"{path}: __metadata__.mode", "regenerate the fixture"),
        };
        DType = Meta("dtype") switch
        {
            "float32" => ScalarType.Float32,
            "float64" => ScalarType.Float64,
            var other => throw new SegmenterException($"dtype '{other}' is not float32/float64", $"{path}: __metadata__.dtype", "regenerate the fixture"),
        };
        var zero = Metadata.TryGetValue("params_with_mathematically_zero_grad", out var z) && !string.IsNullOrWhiteSpace(z) ? z : "[]";
        ParamsWithZeroGrad = JsonSerializer.Deserialize<List<string>>(zero) ?? new List<string>();

        Params = WithPrefix("param.");
        GradParams = WithPrefix("grad.param.");
        BuffersAfter = WithPrefix("buffer_after.");
        Input = Tensor("input");
        Output = Tensor("output");
        GradOutput = Tensor("grad_output");
        GradInput = Tensor("grad.input");
        if (Params.Count == 0)
            throw new SegmenterException("no param.* tensors", path, "regenerate the fixture");
        if (Train && BuffersAfter.Count == 0 && Params.Keys.Any(k => k.EndsWith(".running_mean") || k == "running_mean"))
            throw new SegmenterException("train-mode file with BatchNorm but no buffer_after.* tensors", path, "regenerate the fixture");
    }

    public static FixtureCase Load(string path) => new(path, SafeTensors.Load(path));

    private string Meta(string key) =>
        Metadata.TryGetValue(key, out var v) ? v : throw new SegmenterException($"__metadata__ has no '{key}'", Path, "regenerate the fixture");

    private Tensor Tensor(string name) =>
        _all.TryGetValue(name, out var t) ? t : throw new SegmenterException($"tensor '{name}' is missing", Path, "regenerate the fixture");

    private Dictionary<string, Tensor> WithPrefix(string prefix) =>
        _all.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    public override string ToString() => $"{Name} ({ClassName} {CtorArgsJson}, {Mode}, {DType})";

    public void Dispose()
    {
        foreach (var t in _all.Values) t.Dispose();
        _all.Clear();
    }
}
