using System.Text.Json;
using Segmenter.Models.Attention;
using static TorchSharp.torch;

namespace Segmenter.Tests.Parity;

/// <summary>
/// Builds our module for a fixture from its official class name and constructor arguments (metadata
/// <c>class</c> / <c>ctor_args</c>). One plain switch: a new official class needs one new line here.
/// </summary>
public static class ParityModuleFactory
{
    public static nn.Module<Tensor, Tensor> Create(FixtureCase c)
    {
        var a = c.CtorArgs;
        string where = $"{c.Path}: __metadata__.class";
        return c.ClassName switch
        {
            "PSA_p" => new PolarizedSelfAttentionParallel(Int(a, "inplanes", c), Int(a, "planes", c)),
            "PSA_s" => new PolarizedSelfAttentionSequential(Int(a, "inplanes", c), Int(a, "planes", c)),
            _ => throw new SegmenterException($"no module for official class '{c.ClassName}'", where, "add it to ParityModuleFactory"),
        };
    }

    internal static int Int(JsonElement args, string key, FixtureCase c, int? fallback = null)
    {
        if (args.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number) return v.GetInt32();
        if (fallback is int f && (!args.TryGetProperty(key, out v) || v.ValueKind == JsonValueKind.Null)) return f;
        throw new SegmenterException($"ctor_args has no integer '{key}'", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");
    }

    internal static bool Bool(JsonElement args, string key, FixtureCase c, bool fallback)
    {
        if (!args.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SegmenterException($"ctor_args '{key}' is not a boolean", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture"),
        };
    }

    internal static (int, int) Pair(JsonElement v, string key, FixtureCase c)
    {
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2
            && v[0].ValueKind == JsonValueKind.Number && v[1].ValueKind == JsonValueKind.Number)
            return (v[0].GetInt32(), v[1].GetInt32());
        throw new SegmenterException($"ctor_args '{key}' is not a pair of integers", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");
    }
}
