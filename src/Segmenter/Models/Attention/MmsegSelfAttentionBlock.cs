using Segmenter.Models.Heads;
using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Models.Attention;

/// <summary>
/// mmseg <c>isa_head.SelfAttentionBlock</c> (its settings of the generic mmseg SelfAttentionBlock): key/query are
/// two ConvModules each (<c>key_project.{0,1}</c>, <c>query_project.{0,1}</c>, not shared), <c>value_project</c> a
/// plain 1×1 conv WITH bias and no norm (in→in), affinity softmax(QᵀK · channels^−0.5), then the extra
/// <c>output_project</c> ConvModule on the context.
/// </summary>
public sealed class MmsegSelfAttentionBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential key_project;
    private readonly Sequential query_project;
    private readonly Conv2dLayer value_project;
    private readonly ConvModule output_project;

    public int InChannels { get; }
    public int Channels { get; }

    public MmsegSelfAttentionBlock(int in_channels, int channels, double bnMomentum = 0.1, double bnEps = 1e-5) : base("SelfAttentionBlock")
    {
        if (in_channels <= 0 || channels <= 0)
            throw new SegmenterException($"SelfAttentionBlock channels must be positive, got in {in_channels}, channels {channels}", "MmsegSelfAttentionBlock", "check isa_channels / channels");
        InChannels = in_channels;
        Channels = channels;
        key_project = nn.Sequential(new ConvModule(in_channels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps),
            new ConvModule(channels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps));
        query_project = nn.Sequential(new ConvModule(in_channels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps),
            new ConvModule(channels, channels, 1, bnMomentum: bnMomentum, bnEps: bnEps));
        value_project = Conv2dLayer.Create(in_channels, in_channels, 1, bias: true);
        output_project = new ConvModule(in_channels, in_channels, 1, bnMomentum: bnMomentum, bnEps: bnEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var query = query_project.forward(x);
        query = query.reshape(query.shape[0], query.shape[1], -1).permute(0, 2, 1).contiguous();
        var key = key_project.forward(x);
        key = key.reshape(key.shape[0], key.shape[1], -1);
        var value = value_project.forward(x);
        value = value.reshape(value.shape[0], value.shape[1], -1).permute(0, 2, 1).contiguous();
        var sim = (Math.Pow(Channels, -0.5) * torch.matmul(query, key)).softmax(-1);
        var context = torch.matmul(sim, value).permute(0, 2, 1).contiguous().reshape(n, -1, h, w);
        return output_project.forward(context).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraphBuilder g, string x)
    {
        var query = g.Transpose(g.Reshape(g.Emit(query_project, x), 0, 0, -1), 0, 2, 1);
        var key = g.Reshape(g.Emit(key_project, x), 0, 0, -1);
        var value = g.Transpose(g.Reshape(value_project.EmitOnnx(g, x), 0, 0, -1), 0, 2, 1);
        var sim = g.Softmax(g.Mul(g.MatMul(query, key), g.Scalar((float)Math.Pow(Channels, -0.5))), -1);
        var context = g.Transpose(g.MatMul(sim, value), 0, 2, 1);
        context = g.ReshapeTo(context, g.Concat(0, g.Shape(x, 0, 1), g.Int64Const(-1), g.Shape(x, 2, 4)));
        return output_project.EmitOnnx(g, context);
    }
}
