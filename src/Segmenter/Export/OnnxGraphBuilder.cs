using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Segmenter.Models;
using Segmenter.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Segmenter.Export;

/// <summary>
/// Collects an eval-mode ONNX graph (opset <see cref="Opset"/>) as modules emit their nodes: each module's
/// <see cref="IOnnxExportable.EmitOnnx"/> sits next to its forward and calls the op helpers here, which return the name
/// of the value they produce. Weights become initializers; a BatchNorm that follows a convolution is folded into it
/// (W' = W·γ/√(σ²+ε), b' = (b−μ)·γ/√(σ²+ε)+β, as torch.onnx does with do_constant_folding in eval mode), so the graph
/// has no BatchNormalization nodes. Spatial sizes are read from the graph (Shape) rather than baked in, so the same
/// nodes serve fixed-size and dynamic exports. The protobuf classes are OnnxSharp's (the official onnx.proto compiled
/// for Google.Protobuf).
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const int Opset = 17;
    /// <summary>IR version 8 goes with opset 17 (onnx 1.12's checker accepts it).</summary>
    public const long IrVersion = 8;

    private readonly GraphProto _graph = new() { Name = "segmenter" };
    private readonly Dictionary<string, int> _hints = new();
    private readonly Dictionary<string, string> _int64Consts = new();

    public GraphProto Graph => _graph;

    /// <summary>A unique value/node name from a readable hint ("conv", "resize", ...).</summary>
    public string Fresh(string hint)
    {
        _hints.TryGetValue(hint, out int n);
        _hints[hint] = n + 1;
        return n == 0 ? hint : $"{hint}_{n}";
    }

    // ---------------------------------------------------------------- graph interface

    /// <summary>Declares a graph input; dims are longs (fixed) or strings (symbolic, e.g. "height").</summary>
    public string AddInput(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (an Identity renames it).</summary>
    public void AddOutput(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], name, outputName: name);
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) },
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>The finished model: IR 8, default-domain opset 17, metadata as key/value strings.</summary>
    public ModelProto Build(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "segmenter",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (metadata is not null)
            foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    // ---------------------------------------------------------------- nodes and constants

    /// <summary>Adds one node with one output; returns the output name.</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string hint, IReadOnlyList<AttributeProto>? attributes = null, string? outputName = null)
    {
        var output = outputName ?? Fresh(hint);
        var node = new NodeProto { OpType = op, Name = Fresh("n_" + hint) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attributes is not null) node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attr(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="t"/> (any dtype/device; converted).</summary>
    public string Initializer(Tensor t, string hint)
    {
        using var scope = NewDisposeScope();
        var data = t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return FloatConst(data, t.shape, hint);
    }

    public string FloatConst(float[] data, long[] dims, string hint)
    {
        var name = Fresh(hint);
        var tp = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tp.Dims.AddRange(dims);
        tp.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(tp);
        return name;
    }

    /// <summary>A 1-D int64 constant (shared between uses).</summary>
    public string Int64Const(params long[] values)
    {
        // An empty list is the shape of a scalar (Reshape to rank 0).
        var key = string.Join(",", values);
        if (_int64Consts.TryGetValue(key, out var existing)) return existing;
        var name = Fresh("const_i64");
        var tp = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tp.Dims.Add(values.Length);
        tp.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tp);
        _int64Consts[key] = name;
        return name;
    }

    /// <summary>A scalar float constant (rank 0), for broadcasting.</summary>
    public string Scalar(float value, string hint = "scalar") => FloatConst([value], [], hint);

    // ---------------------------------------------------------------- operators

    public string Relu(string x) => Node("Relu", [x], "relu");
    public string Sigmoid(string x) => Node("Sigmoid", [x], "sigmoid");
    public string Add(string a, string b) => Node("Add", [a, b], "add");
    public string Sub(string a, string b) => Node("Sub", [a, b], "sub");
    public string Mul(string a, string b) => Node("Mul", [a, b], "mul");
    public string Div(string a, string b) => Node("Div", [a, b], "div");
    public string MatMul(string a, string b) => Node("MatMul", [a, b], "matmul");
    public string Softmax(string x, long axis) => Node("Softmax", [x], "softmax", [Attr("axis", axis)]);
    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", [x], "gap");
    public string Concat(long axis, params string[] xs) => Node("Concat", xs, "concat", [Attr("axis", axis)]);
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], "transpose", [Attr("perm", perm)]);
    public string Cast(string x, TensorProto.Types.DataType to) => Node("Cast", [x], "cast", [Attr("to", (long)to)]);

    public string Einsum(string equation, params string[] xs) => Node("Einsum", xs, "einsum", [Attr("equation", equation)]);
    public string ReduceSum(string x, long axis, bool keepDims) =>
        Node("ReduceSum", [x, Int64Const(axis)], "reducesum", [Attr("keepdims", keepDims ? 1L : 0L)]);
    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", [x, Int64Const(axes)], "unsqueeze");
    public string Gather(string x, string indices, long axis) => Node("Gather", [x, indices], "gather", [Attr("axis", axis)]);
    public string AveragePool(string x, long kernel, long stride) =>
        Node("AveragePool", [x], "avgpool", [Attr("kernel_shape", [kernel, kernel]), Attr("strides", [stride, stride])]);

    /// <summary>Zero padding of the last two axes of an NCHW value: begin/end pads as int64 [1] values.</summary>
    public string PadHw(string x, string top, string left, string bottom, string right)
    {
        var zero = Int64Const(0, 0);
        return Node("Pad", [x, Concat(0, zero, top, left, zero, bottom, right)], "pad", [Attr("mode", "constant")]);
    }

    /// <summary>Slice [starts, ends) along <paramref name="axes"/> (starts/ends as int64 1-D values).</summary>
    public string Slice(string x, string starts, string ends, params long[] axes) =>
        Node("Slice", [x, starts, ends, Int64Const(axes)], "slice");

    /// <summary>0, 1, …, n−1 (int64 1-D) for a length held in a 1-element int64 value.</summary>
    public string Range(string length1)
    {
        var n = Node("Reshape", [length1, Int64Const()], "len_scalar");
        return Node("Range", [Int64Scalar(0), n, Int64Scalar(1)], "range");
    }

    /// <summary>A rank-0 int64 constant.</summary>
    public string Int64Scalar(long value)
    {
        var key = "scalar:" + value;
        if (_int64Consts.TryGetValue(key, out var existing)) return existing;
        var name = Fresh("const_i64_scalar");
        var tp = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tp.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(new[] { value }.AsSpan()));
        _graph.Initializer.Add(tp);
        _int64Consts[key] = name;
        return name;
    }

    /// <summary>Split along <paramref name="axis"/> into pieces of the given sizes (Split-13: sizes as an input).</summary>
    public string[] Split(string x, long axis, params long[] sizes)
    {
        var outputs = sizes.Select(_ => Fresh("split")).ToArray();
        var node = new NodeProto { OpType = "Split", Name = Fresh("n_split") };
        node.Input.Add(x);
        node.Input.Add(Int64Const(sizes));
        node.Output.AddRange(outputs);
        node.Attribute.Add(Attr("axis", axis));
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Reshape to a constant shape (0 = keep that input dim, -1 = infer), as torch's view.</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64Const(shape)], "reshape");

    /// <summary>Reshape to a shape computed in the graph (an int64 1-D value).</summary>
    public string ReshapeTo(string x, string shape) => Node("Reshape", [x, shape], "reshape");

    /// <summary>Dims [start, end) of x's shape as an int64 1-D value (Shape-15 start/end).</summary>
    public string Shape(string x, long start, long end) =>
        Node("Shape", [x], "shape", [Attr("start", start), Attr("end", end)]);

    /// <summary>
    /// Conv (NCHW, OIHW weight) with BatchNorm folded in when <paramref name="bn"/> is given. Our DilatedDepthwiseConv
    /// and Conv2dLayer paths are plain zero-padded convolutions, so every one becomes a standard Conv.
    /// </summary>
    public string Conv(string x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups, BatchNorm? bn = null, string hint = "conv")
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.detach().to(ScalarType.Float64).cpu();
        Tensor? b = bias?.detach().to(ScalarType.Float64).cpu();
        if (bn is not null)
        {
            var (scale, shift) = FoldedAffine(bn);
            w = w * scale.view(-1, 1, 1, 1);
            b = (b is null ? shift : b * scale + shift);
        }
        var inputs = new List<string> { x, Initializer(w, hint + ".weight") };
        if (b is not null) inputs.Add(Initializer(b, hint + ".bias"));
        long kh = weight.shape[2], kw = weight.shape[3];
        return Node("Conv", inputs, hint,
        [
            Attr("kernel_shape", [kh, kw]),
            Attr("strides", stride.Length == 1 ? [stride[0], stride[0]] : stride),
            Attr("pads", padding.Length == 1 ? [padding[0], padding[0], padding[0], padding[0]] : [padding[0], padding[1], padding[0], padding[1]]),
            Attr("dilations", dilation.Length == 1 ? [dilation[0], dilation[0]] : dilation),
            Attr("group", groups),
        ]);
    }

    /// <summary>Eval-mode BatchNorm as y = x·scale + shift per channel (float64, to keep the fold exact to float32).</summary>
    public static (Tensor Scale, Tensor Shift) FoldedAffine(BatchNorm bn)
    {
        var sd = bn.state_dict();
        var mean = sd["running_mean"].detach().to(ScalarType.Float64).cpu();
        var var_ = sd["running_var"].detach().to(ScalarType.Float64).cpu();
        var gamma = sd["weight"].detach().to(ScalarType.Float64).cpu();
        var beta = sd["bias"].detach().to(ScalarType.Float64).cpu();
        var scale = gamma / (var_ + BatchNormEps(bn)).sqrt();
        return (scale, beta - mean * scale);
    }

    private static double BatchNormEps(BatchNorm bn) => bn.eps;

    /// <summary>A BatchNorm with no convolution before it: Mul + Add with the folded per-channel affine.</summary>
    public string BatchNorm(string x, BatchNorm bn, int rank = 4)
    {
        using var scope = NewDisposeScope();
        var (scale, shift) = FoldedAffine(bn);
        long c = scale.shape[0];
        long[] shape = [1, c, .. Enumerable.Repeat(1L, rank - 2)];
        return Add(Mul(x, Initializer(scale.view(shape), "bn.scale")), Initializer(shift.view(shape), "bn.shift"));
    }

    /// <summary>
    /// Bilinear Resize of x (NCHW) to the spatial size <paramref name="sizeHw"/> (an int64 [2] value). torch's
    /// align_corners=False is "pytorch_half_pixel" (torch.onnx symbolic_opset11 upsample_bilinear2d; equal to
    /// half_pixel except for outputs of length 1, and both clamp the source index at 0 as PyTorch does),
    /// align_corners=True is "align_corners". No antialiasing, as F.interpolate.
    /// </summary>
    public string ResizeBilinear(string x, string sizeHw, bool alignCorners)
    {
        var sizes = Concat(0, Shape(x, 0, 2), sizeHw);
        return Node("Resize", [x, "", "", sizes], "resize",
        [
            Attr("mode", "linear"),
            Attr("coordinate_transformation_mode", alignCorners ? "align_corners" : "pytorch_half_pixel"),
        ]);
    }

    /// <summary>Bilinear Resize of x to the spatial size of <paramref name="like"/>.</summary>
    public string ResizeLike(string x, string like, bool alignCorners) => ResizeBilinear(x, Shape(like, 2, 4), alignCorners);

    // ---------------------------------------------------------------- modules

    /// <summary>
    /// Emits a module: our exportable modules emit themselves; the few TorchSharp building blocks the models use
    /// (Sequential, ReLU, MaxPool2d, AdaptiveAvgPool2d(1), Dropout, LayerNorm, a bare Conv2dLayer/BatchNorm) are mapped
    /// here. Inside a Sequential a Conv2dLayer followed by a BatchNorm is emitted as one folded Conv.
    /// </summary>
    public string Emit(nn.Module module, string x)
    {
        switch (module)
        {
            case IOnnxExportable e:
                return e.EmitOnnx(this, x);
            case Sequential seq:
            {
                var children = seq.children().ToList();
                for (int i = 0; i < children.Count; i++)
                {
                    if (children[i] is Conv2dLayer conv && i + 1 < children.Count && children[i + 1] is BatchNorm bn)
                    {
                        x = conv.EmitOnnx(this, x, bn);
                        i++;
                    }
                    else x = Emit(children[i], x);
                }
                return x;
            }
            case ReLU:
                return Relu(x);
            case Dropout2d or Dropout or SeededDropout:
                return x;
            case BatchNorm bn2:
                return BatchNorm(x, bn2);
            case MaxPool2d mp:
                return MaxPool(x, mp);
            case AdaptiveAvgPool2d:
                // Only output size 1 is used (ASPP image pooling), which is GlobalAveragePool.
                return GlobalAveragePool(x);
            case LayerNorm ln:
                return LayerNormalization(x, ln);
            default:
                throw new SegmenterException($"ONNX export does not know module {module.GetType().Name}", "segment export --format onnx",
                    "export a supported model family (see docs/onnx.md) or use --format safetensors");
        }
    }

    private string MaxPool(string x, MaxPool2d mp)
    {
        long k = mp.kernel_size[0], s = mp.stride?[0] ?? k, p = mp.padding?[0] ?? 0;
        return Node("MaxPool", [x], "maxpool",
            [Attr("kernel_shape", [k, k]), Attr("strides", [s, s]), Attr("pads", [p, p, p, p])]);
    }

    /// <summary>LayerNorm over the trailing normalized_shape dims = ONNX LayerNormalization (opset 17) from axis rank−len.</summary>
    private string LayerNormalization(string x, LayerNorm ln)
    {
        var sd = ln.state_dict();
        long dims = sd["weight"].dim();
        return Node("LayerNormalization", [x, Initializer(sd["weight"], "ln.weight"), Initializer(sd["bias"], "ln.bias")], "layernorm",
            [Attr("axis", 4 - dims), Attr("epsilon", (float)ln.eps)]);
    }
}
