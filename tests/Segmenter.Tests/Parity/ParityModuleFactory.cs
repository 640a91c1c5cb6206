using System.Text.Json;
using Segmenter.Models.Attention;
using static TorchSharp.torch;
using Segmenter.Models.Reference;

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
            "ISA_Block" => OpensegBnType(a, c, new IsaBlock(Int(a, "in_channels", c), Int(a, "key_channels", c), Int(a, "value_channels", c),
                Int(a, "out_channels", c), Pair(Prop(a, "down_factor", c), "down_factor", c))),
            "ISA_Module" => OpensegBnType(a, c, new IsaModule(Int(a, "in_channels", c), Int(a, "key_channels", c), Int(a, "value_channels", c),
                Int(a, "out_channels", c), Factors(a, c), Double(a, "dropout", c, 0))),
            "mmseg_ISAHead" => MmsegCfg(a, c, new IsaHead(Int(a, "in_channels", c), Int(a, "channels", c), Int(a, "isa_channels", c),
                Pair(Prop(a, "down_factor", c), "down_factor", c), withClassifier: false)),
            "mmseg_SelfAttentionBlock" => MmsegCfg(a, c, new MmsegSelfAttentionBlock(Int(a, "in_channels", c), Int(a, "channels", c))),
            "AxialAttention" => new AxialAttention(Int(a, "in_planes", c), Int(a, "out_planes", c), Int(a, "groups", c, 8),
                Int(a, "kernel_size", c, 56), Int(a, "stride", c, 1), Bool(a, "bias", c, false), Bool(a, "width", c, false)),
            "AxialBlock" => new AxialBlock(Int(a, "inplanes", c), Int(a, "planes", c), Int(a, "stride", c, 1), AxialDownsample(a, c),
                Int(a, "groups", c, 1), Int(a, "base_width", c, 64), Int(a, "kernel_size", c, 56)),
            _ => throw new SegmenterException($"no module for official class '{c.ClassName}'", where, "add it to ParityModuleFactory"),
        };
    }

    /// <summary>openseg bn_type: only plain BatchNorm (torchbn; torchsyncbn is the same on one device) is built.</summary>
    private static nn.Module<Tensor, Tensor> OpensegBnType(JsonElement a, FixtureCase c, nn.Module<Tensor, Tensor> m)
    {
        var bn = a.TryGetProperty("bn_type", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (bn is not ("torchbn" or "torchsyncbn"))
            throw new SegmenterException($"bn_type '{bn}' is not supported (BatchNorm2d only)", $"{c.Path}: __metadata__.ctor_args", "use torchbn");
        return m;
    }

    /// <summary>mmseg configs: conv_cfg null, norm_cfg BN, act_cfg ReLU are the only ones built.</summary>
    private static nn.Module<Tensor, Tensor> MmsegCfg(JsonElement a, FixtureCase c, nn.Module<Tensor, Tensor> m)
    {
        string? Type(string key) => a.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var t) ? t.GetString() : null;
        bool convDefault = !a.TryGetProperty("conv_cfg", out var conv) || conv.ValueKind == JsonValueKind.Null;
        if (!convDefault || Type("norm_cfg") is not ("BN" or "SyncBN") || Type("act_cfg") != "ReLU")
            throw new SegmenterException("only conv_cfg null, norm_cfg BN and act_cfg ReLU are supported", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture with those settings");
        return m;
    }

    /// <summary><c>downsample_spec = [a, b, s]</c> (not an official argument) stands for Sequential(conv1x1(a, b, s), BN(b)).</summary>
    private static nn.Module<Tensor, Tensor>? AxialDownsample(JsonElement a, FixtureCase c)
    {
        if (!a.TryGetProperty("downsample_spec", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            throw new SegmenterException("ctor_args 'downsample_spec' is not [inplanes, outplanes, stride]", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");
        return AxialBlock.MakeDownsample(v[0].GetInt32(), v[1].GetInt32(), v[2].GetInt32());
    }

    private static JsonElement Prop(JsonElement args, string key, FixtureCase c) =>
        args.TryGetProperty(key, out var v) ? v : throw new SegmenterException($"ctor_args has no '{key}'", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");

    private static List<(int H, int W)> Factors(JsonElement a, FixtureCase c)
    {
        var v = Prop(a, "down_factors", c);
        if (v.ValueKind != JsonValueKind.Array)
            throw new SegmenterException("ctor_args 'down_factors' is not a list", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");
        return v.EnumerateArray().Select(e => Pair(e, "down_factors", c)).ToList();
    }

    internal static double Double(JsonElement args, string key, FixtureCase c, double fallback)
    {
        if (!args.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw new SegmenterException($"ctor_args '{key}' is not a number", $"{c.Path}: __metadata__.ctor_args", "regenerate the fixture");
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
