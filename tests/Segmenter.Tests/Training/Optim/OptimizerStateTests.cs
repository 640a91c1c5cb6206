using Segmenter.Config;
using Segmenter.Training;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static Segmenter.Tests.Training.Optim.OptimizerTestKit;
using static TorchSharp.torch;
using Segmenter.Training.Optim;

namespace Segmenter.Tests.Training.Optim;

public class OptimizerStateTests
{
    public static TheoryData<string> Kinds => new() { "sgd", "sgd_nesterov", "adamw", "radam", "lookahead_sgd", "lookahead_radam" };

    private static (IOptimizer Opt, double Lr) Make(string kind, List<ParamGroup> groups) => kind switch
    {
        "sgd" => (new Sgd(groups, 0.1, 0.9), 0.1),
        "sgd_nesterov" => (new Sgd(groups, 0.1, 0.9, nesterov: true), 0.1),
        "adamw" => (new AdamW(groups, 0.01), 0.01),
        "radam" => (new RAdam(groups, 0.01), 0.01),
        "lookahead_sgd" => (new Lookahead(new Sgd(groups, 0.1, 0.9), k: 2, alpha: 0.5), 0.1),
        "lookahead_radam" => (new Lookahead(new RAdam(groups, 0.01), k: 3, alpha: 0.5), 0.01),
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StateDictRoundTripContinuesBitIdentically(string kind)
    {
        var psA = NewParams();
        var (a, lr) = Make(kind, Groups(psA));
        Run(a, psA, lr, 0, 3);

        var state = a.StateDict();
        var psB = CopyParams(psA);
        var (b, _) = Make(kind, Groups(psB));
        b.LoadStateDict(state);
        foreach (var t in state.Values) t.Dispose();
        Assert.Equal(a.StepCount, b.StepCount);

        Run(a, psA, lr, 3, 7);
        Run(b, psB, lr, 3, 7);
        AssertBitIdentical(psA, psB);
    }

    [Fact]
    public void StateDictIsKeyedByParameterName()
    {
        var ps = NewParams();
        var sgd = new Sgd(Groups(ps), 0.1, 0.9);
        Run(sgd, ps, 0.1, 0, 1);
        Assert.Equal(["momentum_buffer.p0", "momentum_buffer.p1", "momentum_buffer.p2", "step"], sgd.StateDict().Keys.Order());
        var adam = new AdamW(Groups(NewParams()), 0.01);
        Assert.Equal(["step"], adam.StateDict().Keys);
        var la = new Lookahead(new AdamW(Groups(ps), 0.01), 6, 0.5);
        Assert.DoesNotContain("slow.p1", la.StateDict().Keys); // taken at the first step
        la.Step();
        Assert.Contains("slow.p1", la.StateDict().Keys);
        Assert.Contains("inner.exp_avg.p1", la.StateDict().Keys);
        Assert.Contains("lookahead_step", la.StateDict().Keys);
    }

    [Fact]
    public void LoadingAnotherOptimizersStateFails()
    {
        var ps = NewParams();
        var adam = new AdamW(Groups(ps), 0.01);
        Run(adam, ps, 0.01, 0, 2);
        var sgd = new Sgd(Groups(NewParams()), 0.1, 0.9);
        var e = Assert.Throws<SegmenterException>(() => sgd.LoadStateDict(adam.StateDict()));
        Assert.Contains("exp_avg", e.Message);
        var la = new Lookahead(new Sgd(Groups(NewParams()), 0.1, 0.9), 2, 0.5);
        Assert.Throws<SegmenterException>(() => la.LoadStateDict(sgd.StateDict()));
    }

    [Fact]
    public void LookaheadSyncsSlowWeightsEveryKSteps()
    {
        // SGD lr 0.1, grad 1: fast goes down 0.1 per step; every 2 steps slow += 0.5·(fast − slow), fast = slow.
        var p = new Parameter(torch.tensor(new[] { 5.0f }));
        var la = new Lookahead(new Sgd([new ParamGroup("all", [("w", p)], 1.0, 0.0)], 0.1, momentum: 0), k: 2, alpha: 0.5);
        using (torch.no_grad()) p.fill_(1.0f); // e.g. pretrained weights loaded after building the optimizer
        double[] expected = [0.9, 0.9, 0.8, 0.8, 0.7, 0.7];
        foreach (var want in expected)
        {
            using (var g = torch.ones(1)) p.grad = g;
            la.Step();
            Assert.Equal(want, p.item<float>(), 5);
        }
        Assert.Equal(6, la.StepCount);
    }

    /// <summary>PyTorch 2.x set_to_none: gradients are dropped, and a parameter without one is left alone by the step.</summary>
    [Fact]
    public void ZeroGradDropsGradientsAndStepSkipsThem()
    {
        var ps = NewParams();
        SetGrads(ps, 1);
        var sgd = new Sgd(Groups(ps), 0.1, momentum: 0.9);
        sgd.ZeroGrad();
        Assert.All(ps, p => Assert.Null(p.grad));
        var before = ps.Select(p => p.detach().clone()).ToList();
        sgd.Step();
        for (int i = 0; i < ps.Length; i++) Assert.True(ps[i].allclose(before[i], rtol: 0, atol: 0));
    }

    [Fact]
    public void StepsDoNotLeakTensors()
    {
        var ps = NewParams();
        SetGrads(ps, 1);
        var groups = Groups(ps);
        var opts = new IOptimizer[] { new Sgd(groups, 1e-3, 0.9, true), new AdamW(groups, 1e-3), new Lookahead(new RAdam(groups, 1e-3), 5, 0.5) };
        foreach (var opt in opts) opt.Step(); // state buffers exist from here on
        GradClipper.ClipGlobalNorm(ps, 1.0);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 1000; i++)
        {
            foreach (var opt in opts) opt.Step();
            GradClipper.ClipGlobalNorm(ps, 1.0);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void FactoryBuildsBackboneAndHeadGroups()
    {
        var net = new TinyNet();
        var cfg = new OptimizerConfig { Type = "sgd", Lr = 0.01, WeightDecay = 5e-4, HeadLrMult = 10, NoDecayOnNormAndBias = true };
        var opt = OptimizerFactory.Create(cfg, net);
        var byName = opt.Groups.ToDictionary(g => g.Name);
        Assert.Equal(["backbone.conv1.weight"], byName["backbone"].Params.Select(p => p.Name));
        Assert.Equal(["backbone.bn1.weight", "backbone.bn1.bias"], byName["backbone.no_decay"].Params.Select(p => p.Name));
        Assert.Equal(["decode_head.conv_seg.weight"], byName["head"].Params.Select(p => p.Name));
        Assert.Equal(["decode_head.conv_seg.bias"], byName["head.no_decay"].Params.Select(p => p.Name));
        Assert.Equal(5e-4, byName["backbone"].WeightDecay);
        Assert.Equal(0.0, byName["head.no_decay"].WeightDecay);
        opt.SetLearningRate(0.02);
        Assert.Equal(0.02, byName["backbone"].Lr, 12);
        Assert.Equal(0.2, byName["head"].Lr, 12);

        var plain = OptimizerFactory.Create(cfg with { NoDecayOnNormAndBias = false }, net);
        Assert.Equal(["backbone", "head"], plain.Groups.Select(g => g.Name));
        Assert.IsType<Lookahead>(OptimizerFactory.Create(cfg with { Type = "radam", Lookahead = new LookaheadConfig() }, net));
        Assert.IsType<AdamW>(OptimizerFactory.Create(cfg with { Type = "adamw" }, net));
        var e = Assert.Throws<SegmenterException>(() => OptimizerFactory.Create(cfg with { Type = "adagrad" }, net));
        Assert.Contains("optimizer.type", e.Message);
    }
}
