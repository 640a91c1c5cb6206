using Segmenter.Models.Attention;

namespace Segmenter.Tests.Parity;

/// <summary>The parity check itself must fail loudly: wrong module tree, or right tree with a different computation.</summary>
public class ParityCheckTests
{
    [Fact]
    public void WrongModuleTreeFailsOnStateDictKeys()
    {
        using var c = FixtureCase.Load(ParityFixtureFiles.Resolve("psa_p_eval.safetensors"));
        // The sequential variant with the PSA_p case's own channel counts: only the module tree differs.
        var results = ParityCheck.Compare(c, _ => Sequential(c));
        Assert.Contains(results, r => !r.Ok && r.Name == "param.conv_up.weight");
        Assert.Contains(results, r => !r.Ok && r.Name == "param.conv_up.0.weight");
    }

    [Fact]
    public void SameTreeDifferentComputationFailsOnOutput()
    {
        using var c = FixtureCase.Load(ParityFixtureFiles.Resolve("psa_s_eval.safetensors"));
        Assert.Equal("PSA_s", c.ClassName);
        var results = ParityCheck.Compare(c, _ => Sequential(c));
        Assert.All(results, r => Assert.True(r.Ok, r.ToString()));
        var bad = ParityCheck.Compare(c, _ => new OffsetModule(Sequential(c)));
        Assert.Contains(bad, r => !r.Ok && r.Name == "output");
    }

    /// <summary>PSA_s with the channel counts of the case file's ctor_args (inplanes, planes), as every parity test takes them.</summary>
    private static PolarizedSelfAttentionSequential Sequential(FixtureCase c) =>
        new(ParityModuleFactory.Int(c.CtorArgs, "inplanes", c), ParityModuleFactory.Int(c.CtorArgs, "planes", c));

    /// <summary>Same state_dict as the wrapped module (registered under no prefix), output shifted by 1e-3.</summary>
    private sealed class OffsetModule : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>
    {
        private readonly TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> _inner;
        public OffsetModule(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> inner) : base("offset")
        {
            _inner = inner;
            foreach (var (name, child) in inner.named_children()) register_module(name, child);
        }
        public override TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor x) => _inner.forward(x) + 1e-3;
    }
}
