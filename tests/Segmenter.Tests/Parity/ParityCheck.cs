using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Tests.Parity;

/// <summary>
/// Runs our module on one fixture the way the generator ran the official one (same parameters and buffers, same
/// mode and dtype, one forward and one backward) and compares every stored tensor. Tolerances follow
/// fixtures/README.md: fp32 output ≤ 1e-5·max(1, max|ref|), gradients ≤ 1e-4·max(1, max|ref|), buffers
/// ≤ 1e-5·max(1, max|ref|); fp64 files ≤ 1e-10·max(1, max|ref|) everywhere. Gradients that are mathematically zero
/// (listed in the metadata) are only checked to be near zero.
/// </summary>
public static class ParityCheck
{
    public sealed record Comparison(string Name, double MaxAbsError, double RefMax, double Tolerance, bool Ok, string? Note = null)
    {
        public override string ToString() =>
            $"{(Ok ? "ok  " : "FAIL")} {Name,-52} max|err| {MaxAbsError:E3}  tol {Tolerance:E3}  max|ref| {RefMax:E3}{(Note is null ? "" : "  " + Note)}";
    }

    /// <summary>Checks the fixture at <paramref name="path"/>; fails the test with every comparison listed.</summary>
    public static void AssertMatches(string path, Action<string>? log = null)
    {
        using var c = FixtureCase.Load(path);
        var results = Compare(c);
        var report = new StringBuilder().AppendLine(c.ToString());
        foreach (var r in results) report.AppendLine(r.ToString());
        log?.Invoke(report.ToString());
        Assert.True(results.Count > 0 && results.All(r => r.Ok), report.ToString());
    }

    /// <summary>All comparisons for one case; <paramref name="build"/> replaces the factory (for tests of this check).</summary>
    public static List<Comparison> Compare(FixtureCase c, Func<FixtureCase, nn.Module<Tensor, Tensor>>? build = null)
    {
        bool f64 = c.DType == ScalarType.Float64;
        double outTol = f64 ? 1e-10 : 1e-5, gradTol = f64 ? 1e-10 : 1e-4, bufTol = f64 ? 1e-10 : 1e-5;
        double zeroGradAbs = f64 ? 1e-8 : 1e-3;
        var results = new List<Comparison>();

        using var scope = NewDisposeScope();
        using var module = (build ?? ParityModuleFactory.Create)(c);
        module.to(c.DType);
        LoadStrict(module, c, results);
        if (results.Any(r => !r.Ok)) return results;
        module.train(c.Train);

        var input = c.Input.detach().clone().requires_grad_(true);
        var output = module.forward(input);
        results.Add(Close("output", output, c.Output, outTol));
        if (!results[^1].Ok && results[^1].Note is not null) return results;

        output.backward(new[] { c.GradOutput });
        results.Add(Close("grad.input", input.grad, c.GradInput, gradTol));

        var ours = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in c.GradParams.Keys.Except(ours.Keys))
            results.Add(new Comparison($"grad.param.{name}", double.NaN, double.NaN, 0, false, "fixture parameter not in our module"));
        foreach (var name in ours.Keys.Except(c.GradParams.Keys))
            results.Add(new Comparison($"grad.param.{name}", double.NaN, double.NaN, 0, false, "our parameter has no reference gradient"));
        foreach (var (name, reference) in c.GradParams)
        {
            if (!ours.TryGetValue(name, out var p)) continue;
            if (c.ParamsWithZeroGrad.Contains(name))
            {
                double max = p.grad is null ? 0 : p.grad.abs().max().to(ScalarType.Float64).item<double>();
                double refMax = reference.abs().max().to(ScalarType.Float64).item<double>();
                results.Add(new Comparison($"grad.param.{name}", max, refMax, zeroGradAbs, max <= zeroGradAbs, "(mathematically 0: |ours| checked)"));
                continue;
            }
            results.Add(Close($"grad.param.{name}", p.grad, reference, gradTol));
        }

        if (c.Train)
        {
            var state = module.state_dict();
            foreach (var (name, reference) in c.BuffersAfter)
            {
                if (!state.TryGetValue(name, out var buffer))
                {
                    results.Add(new Comparison($"buffer_after.{name}", double.NaN, double.NaN, 0, false, "not in our state_dict"));
                    continue;
                }
                results.Add(reference.is_floating_point() ? Close($"buffer_after.{name}", buffer, reference, bufTol) : Exact($"buffer_after.{name}", buffer, reference));
            }
        }
        return results;
    }

    /// <summary>
    /// Copies every <c>param.*</c> into the module by state_dict key. Strict: the key sets must be equal and every
    /// shape must match (a shape mismatch would otherwise broadcast silently in copy_).
    /// </summary>
    private static void LoadStrict(nn.Module module, FixtureCase c, List<Comparison> results)
    {
        var state = module.state_dict();
        foreach (var key in c.Params.Keys.Except(state.Keys).OrderBy(k => k))
            results.Add(new Comparison($"param.{key}", double.NaN, double.NaN, 0, false, "in the fixture, missing from our state_dict"));
        foreach (var key in state.Keys.Except(c.Params.Keys).OrderBy(k => k))
            results.Add(new Comparison($"param.{key}", double.NaN, double.NaN, 0, false, "in our state_dict, missing from the fixture"));
        foreach (var (key, source) in c.Params)
        {
            if (!state.TryGetValue(key, out var target)) continue;
            if (!target.shape.SequenceEqual(source.shape))
                results.Add(new Comparison($"param.{key}", double.NaN, double.NaN, 0, false,
                    $"shape ours [{string.Join(",", target.shape)}] vs fixture [{string.Join(",", source.shape)}]"));
            else if (target.is_floating_point() != source.is_floating_point())
                results.Add(new Comparison($"param.{key}", double.NaN, double.NaN, 0, false, $"dtype ours {target.dtype} vs fixture {source.dtype}"));
        }
        if (results.Count > 0) return;
        using var noGrad = torch.no_grad();
        foreach (var (key, source) in c.Params) state[key].copy_(source);
    }

    private static Comparison Close(string name, Tensor? ours, Tensor reference, double relTol)
    {
        if (ours is null) return new Comparison(name, double.NaN, double.NaN, 0, false, "no gradient");
        if (!ours.shape.SequenceEqual(reference.shape))
            return new Comparison(name, double.NaN, double.NaN, 0, false, $"shape ours [{string.Join(",", ours.shape)}] vs reference [{string.Join(",", reference.shape)}]");
        using var scope = NewDisposeScope();
        var r = reference.to(ScalarType.Float64);
        double err = (ours.detach().to(ScalarType.Float64) - r).abs().max().item<double>();
        double refMax = r.abs().max().item<double>();
        double tol = relTol * Math.Max(1.0, refMax);
        return new Comparison(name, err, refMax, tol, err <= tol); // NaN fails
    }

    private static Comparison Exact(string name, Tensor ours, Tensor reference)
    {
        bool ok = ours.shape.SequenceEqual(reference.shape) && ours.dtype == reference.dtype && ours.eq(reference).all().item<bool>();
        return new Comparison(name, ok ? 0 : double.NaN, 0, 0, ok, ok ? null : $"ours {ours.ToString(TorchSharp.TensorStringStyle.Numpy)} vs {reference.ToString(TorchSharp.TensorStringStyle.Numpy)}");
    }
}
