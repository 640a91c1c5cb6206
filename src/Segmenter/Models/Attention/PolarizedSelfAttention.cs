// PLACEHOLDER: the PSA helper replaces this file with PolarizedSelfAttentionParallel.cs / PolarizedSelfAttentionSequential.cs.
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>Official PSA_p (DeLightCMU/PSA): channel-only and spatial-only branches added. Parameter names as the official module.</summary>
public sealed class PolarizedSelfAttentionParallel : nn.Module<Tensor, Tensor>
{
    public PolarizedSelfAttentionParallel(int inplanes, int planes) : base("PSA_p") => throw new NotImplementedException();
    public override Tensor forward(Tensor x) => throw new NotImplementedException();
}

/// <summary>Official PSA_s: channel-only branch then spatial-only branch.</summary>
public sealed class PolarizedSelfAttentionSequential : nn.Module<Tensor, Tensor>
{
    public PolarizedSelfAttentionSequential(int inplanes, int planes) : base("PSA_s") => throw new NotImplementedException();
    public override Tensor forward(Tensor x) => throw new NotImplementedException();
}
