using Segmenter.Training;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Optim;

/// <summary>
/// The setup the PyTorch reference trajectories were made with (torch 1.13, Debian python3-torch):
/// three float32 params, two groups (p0: lr×1, wd 0.05; p1,p2: lr×2, wd 0), lr = base·(1 − s/10) at step s,
/// gradient element j of param i at step s = ((7j + 3s + 5i) mod 11 − 5)/4.
/// </summary>
internal static class OptimizerTestKit
{
    public static readonly long[][] Shapes = [[2, 2], [3], [1, 2, 1, 2]];
    public static readonly float[][] Init = [[0.5f, -1.0f, 2.0f, 0.25f], [0.1f, -0.3f, 0.7f], [1.5f, -2.5f, 0.0f, 0.75f]];

    public static Parameter[] NewParams() =>
        Init.Select((v, i) => new Parameter(torch.tensor(v).reshape(Shapes[i]))).ToArray();

    public static Parameter[] CopyParams(Parameter[] ps)
    {
        using var noGrad = torch.no_grad();
        return ps.Select(p => new Parameter(p.detach().clone())).ToArray();
    }

    public static List<ParamGroup> Groups(Parameter[] ps) =>
    [
        new ParamGroup("a", [("p0", ps[0])], 1.0, 0.05),
        new ParamGroup("b", [("p1", ps[1]), ("p2", ps[2])], 2.0, 0.0),
    ];

    public static void SetGrads(Parameter[] ps, int step)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            long n = ps[i].numel();
            var g = new float[n];
            for (int j = 0; j < n; j++) g[j] = (((7 * j + 3 * step + 5 * i) % 11) - 5) / 4.0f;
            using var t = torch.tensor(g).reshape(ps[i].shape);
            ps[i].grad = t;
        }
    }

    /// <summary>Runs steps [from, to) of the reference schedule.</summary>
    public static void Run(IOptimizer opt, Parameter[] ps, double baseLr, int from, int to)
    {
        for (int s = from; s < to; s++)
        {
            opt.SetLearningRate(baseLr * (1 - s / 10.0));
            SetGrads(ps, s);
            opt.Step();
        }
    }

    public static void AssertClose(float[][] expected, Parameter[] ps, double rtol = 2e-6, double atol = 1e-7)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            var actual = ps[i].detach().flatten().data<float>().ToArray();
            Assert.Equal(expected[i].Length, actual.Length);
            for (int j = 0; j < actual.Length; j++)
                Assert.True(Math.Abs(actual[j] - expected[i][j]) <= atol + rtol * Math.Abs(expected[i][j]),
                    $"param {i} element {j}: expected {expected[i][j]:R}, got {actual[j]:R}");
        }
    }

    public static void AssertBitIdentical(Parameter[] a, Parameter[] b)
    {
        for (int i = 0; i < a.Length; i++)
            Assert.True(BitEqual(a[i], b[i]), $"param {i} differs");
    }

    /// <summary>Same dtype, shape and bytes.</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var ca = a.detach().cpu().contiguous();
        using var cb = b.detach().cpu().contiguous();
        return ca.bytes.SequenceEqual(cb.bytes);
    }
}
