using Segmenter.Training;
using Segmenter.Models.Heads;
using Segmenter.Models.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Benchmarks;

/// <summary>
/// Dense self-attention baseline for the ISA benchmark: the ISA head with its two sparse attentions replaced by ONE
/// attention over all H·W positions (a non-local block, Wang et al. 2018, embedded-Gaussian form with the same
/// key/query/value/output projections as ISA's relations). Same <c>in_conv</c>, <c>out_conv</c> and classifier, so
/// the time and memory difference between the two heads is the attention alone: dense costs O((HW)²) affinities,
/// ISA O(HW·(HW/P² + P²)).
/// </summary>
public sealed class NonLocalHead : DecodeHead
{
    private readonly ConvModule in_conv;
    private readonly MmsegSelfAttentionBlock relation;
    private readonly ConvModule out_conv;
    private readonly int _inIndex;

    public NonLocalHead(int inChannels, int inIndex, int channels, int keyChannels, int numClasses, double dropoutRatio,
        bool alignCorners, double bnMomentum = 0.1, double bnEps = 1e-5)
        : base(nameof(NonLocalHead), channels, numClasses, dropoutRatio, alignCorners)
    {
        _inIndex = inIndex;
        in_conv = new ConvModule(inChannels, channels, 3, padding: 1, bnMomentum: bnMomentum, bnEps: bnEps);
        relation = new MmsegSelfAttentionBlock(channels, keyChannels, bnMomentum, bnEps);
        out_conv = new ConvModule(channels * 2, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var feat = in_conv.forward(Pick(inputs, _inIndex, "model.decode_head.in_index"));
        var context = relation.forward(feat);
        return ClsSeg(out_conv.forward(torch.cat(new[] { context, feat }, 1))).MoveToOuterDisposeScope();
    }
}
