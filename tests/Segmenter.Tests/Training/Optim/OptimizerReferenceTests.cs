using Segmenter.Training;
using static Segmenter.Tests.Training.Optim.OptimizerTestKit;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Optim;

/// <summary>Trajectories against numbers printed by PyTorch 1.13 (torch.optim.*) for the setup in <see cref="OptimizerTestKit"/>.</summary>
public class OptimizerReferenceTests
{
    [Fact]
    public void SgdMomentumMatchesPyTorch()
    {
        var ps = NewParams();
        Run(new Sgd(Groups(ps), 0.1, momentum: 0.9), ps, 0.1, 0, 5);
        AssertClose([
            [9.078225493e-01f, -1.344019175e+00f, 1.951997995e+00f, 1.586887054e-03f],
            [2.793399990e-01f, 9.201197326e-02f, 8.614060283e-01f],
            [1.017169952e+00f, -2.807778120e+00f, 5.868939757e-01f, 4.242880642e-01f],
        ], ps);
    }

    [Fact]
    public void SgdNesterovMatchesPyTorch()
    {
        var ps = NewParams();
        Run(new Sgd(Groups(ps), 0.1, momentum: 0.9, nesterov: true), ps, 0.1, 0, 5);
        AssertClose([
            [9.884934425e-01f, -1.431271315e+00f, 1.949392319e+00f, -7.680017967e-03f],
            [3.664059937e-01f, 1.328107715e-01f, 8.452653885e-01f],
            [9.954530001e-01f, -2.871999979e+00f, 7.932045460e-01f, 2.568592429e-01f],
        ], ps);
    }

    [Fact]
    public void SgdWithoutMomentumMatchesPyTorch()
    {
        var ps = NewParams();
        Run(new Sgd(Groups(ps), 0.1, momentum: 0.0), ps, 0.1, 0, 5);
        AssertClose([
            [6.280834079e-01f, -1.126124501e+00f, 1.992614865e+00f, 2.113552988e-01f],
            [2.049999833e-01f, -2.199999988e-01f, 6.999999881e-01f],
            [1.429999948e+00f, -2.594999790e+00f, 2.650000155e-01f, 5.500000715e-01f],
        ], ps);
    }

    [Fact]
    public void AdamWMatchesPyTorch()
    {
        var ps = NewParams();
        Run(new AdamW(Groups(ps), 0.01), ps, 0.01, 0, 5);
        AssertClose([
            [5.236109495e-01f, -1.023517132e+00f, 2.006459951e+00f, 2.344727814e-01f],
            [9.880653769e-02f, -2.637558281e-01f, 6.940924525e-01f],
            [1.469908118e+00f, -2.537289619e+00f, 4.202680290e-02f, 7.275881767e-01f],
        ], ps);
    }

    [Fact]
    public void RAdamMatchesPyTorchAcrossTheRectificationSwitch()
    {
        // Default betas: rho_t passes 5 at step 6 of 8.
        var ps = NewParams();
        Run(new RAdam(Groups(ps), 0.01), ps, 0.01, 0, 8);
        AssertClose([
            [5.245628357e-01f, -1.016755342e+00f, 2.000663042e+00f, 2.325574756e-01f],
            [1.024386659e-01f, -2.689167857e-01f, 6.980959177e-01f],
            [1.466096282e+00f, -2.517798424e+00f, 2.968131192e-02f, 7.278651595e-01f],
        ], ps);
    }

    [Fact]
    public void RAdamWithSmallBeta2AndLargeEpsMatchesPyTorch()
    {
        var ps = NewParams();
        Run(new RAdam(Groups(ps), 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-3), ps, 0.01, 0, 8);
        AssertClose([
            [5.229853988e-01f, -1.015351653e+00f, 1.999242187e+00f, 2.341990322e-01f],
            [1.041140109e-01f, -2.723209262e-01f, 7.000105977e-01f],
            [1.469473958e+00f, -2.518202066e+00f, 2.986658551e-02f, 7.276617289e-01f],
        ], ps);
    }

    [Fact]
    public void GradClipMatchesPyTorch()
    {
        var ps = NewParams();
        SetGrads(ps, 2);
        double norm = GradClipper.ClipGlobalNorm(ps, 1.5);
        Assert.Equal(2.304886103, norm, 6);
        var grads = ps.Select(p => new TorchSharp.Modules.Parameter(p.grad!.clone())).ToArray();
        AssertClose([
            [1.626977772e-01f, -4.880933166e-01f, 6.507911086e-01f, 0.000000000e+00f],
            [-8.134889007e-01f, 3.253955543e-01f, -3.253955543e-01f],
            [0.000000000e+00f, -6.507911086e-01f, 4.880933166e-01f, -1.626977772e-01f],
        ], grads);
        // Below the limit nothing changes.
        double again = GradClipper.ClipGlobalNorm(ps, 10.0);
        Assert.Equal(1.5, again, 5);
    }
}
