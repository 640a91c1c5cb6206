namespace Segmenter.Export;

/// <summary>A Tensor→Tensor module that writes its own eval-mode ONNX nodes (next to its forward).</summary>
public interface IOnnxExportable
{
    /// <summary>Emits the module's nodes reading value <paramref name="input"/>; returns the name of its output value.</summary>
    string EmitOnnx(OnnxGraphBuilder g, string input);
}

/// <summary>A backbone that writes its ONNX nodes; returns one value per stage, shallowest first (as forward).</summary>
public interface IOnnxBackbone
{
    string[] EmitOnnx(OnnxGraphBuilder g, string input);
}

/// <summary>A decode head that writes its ONNX nodes from the backbone's stage values; returns logits at feature resolution.</summary>
public interface IOnnxDecodeHead
{
    string EmitOnnx(OnnxGraphBuilder g, string[] inputs);
}
