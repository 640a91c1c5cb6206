using Segmenter.Models.Attention;

namespace Segmenter.Tests.Parity;

/// <summary>The parity check itself must fail loudly: wrong module tree, or right tree with a different computation.</summary>
public class ParityCheckTests
{
    [Fact]
    public void WrongModuleTreeFailsOnStateDictKeys()
    {
        using var c = FixtureCase.Load(ParityFixtureFiles.Resolve("psa_p_eval.safetensors"));
        var results = ParityCheck.Compare(c, _ => new PolarizedSelfAttentionSequential(64, 64));
        Assert.Contains(results, r => !r.Ok && r.Name == "param.conv_up.weight");
        Assert.Contains(results, r => !r.Ok && r.Name == "param.conv_up.0.weight");
    }

    [Fact]
    public void SameTreeDifferentComputationFailsOnOutput()
    {
        using var c = FixtureCase.Load(ParityFixtureFiles.Resolve("psa_s_eval.safetensors"));
        var results = ParityCheck.Compare(c, _ => new PolarizedSelfAttentionSequential(64, 64));
        Assert.All(results, r => Assert.True(r.Ok, r.ToString()));
        var bad = ParityCheck.Compare(c, _ => new OffsetModule(new PolarizedSelfAttentionSequential(64, 64)));
        Assert.Contains(bad, r => !r.Ok && r.Name == "output");
    }

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
