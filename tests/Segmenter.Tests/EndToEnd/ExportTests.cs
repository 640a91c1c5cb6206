using System.Diagnostics;
using System.Text.Json;
using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using Xunit.Abstractions;
using Segmenter.Checkpoints;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// `segment export` writes safetensors with PyTorch state-dict names. Where Debian's python3-torch is present,
/// PyTorch loads the file strictly into the reference DeepLabV3+ (scripts/bench_pytorch.py) and reproduces our
/// logits; without it that part is skipped with a message.
/// </summary>
[Collection("cli")]
public sealed class ExportTests(ITestOutputHelper output)
{
    private static readonly string[] Overrides =
    [
        "model.num_classes=5", "data.class_names=[]", "model.backbone.depth=50", "model.backbone.output_stride=8", "model.decode_head.channels=32", "model.decode_head.dilations=[1,12,24,36]",
        "model.decode_head.c1_channels=16", "model.aux_head.channels=16",
    ];

    [Fact]
    public void ExportedWeightsLoadInPyTorchAndGiveTheSameLogits()
    {
        var dir = TestPaths.NewTempDir("export");
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, Overrides);
        torch.manual_seed(3);
        using var model = (EncoderDecoder)ModelFactory.Create(cfg.Model);
        // Non-trivial BN statistics, so that a buffer that does not load shows up in the logits.
        using (torch.no_grad())
            foreach (var (name, buffer) in model.named_buffers())
                if (name.EndsWith("running_var")) buffer.uniform_(0.5, 1.5);
                else if (name.EndsWith("running_mean")) buffer.normal_(0, 0.2);
        var ckptPath = Path.Combine(dir, "model.ckpt");
        using (var ckpt = Checkpoint.Capture(1, model, null, ConfigWriter.ToYaml(cfg), Checkpoint.ArchitectureOf(cfg.Model)))
            Checkpointer.Write(ckptPath, ckpt);

        var exported = Path.Combine(dir, "model.safetensors");
        var (code, _, err) = CliRunner.Run("export", "--checkpoint", ckptPath, "--out", exported);
        Assert.True(code == 0, err);
        var contents = SafeTensors.Load(exported);
        Assert.Contains("backbone.conv1.weight", contents.Tensors.Keys);
        Assert.Contains("backbone.layer4.2.bn3.running_var", contents.Tensors.Keys);
        Assert.Contains("decode_head.image_pool.1.conv.weight", contents.Tensors.Keys);
        Assert.Contains("auxiliary_head.conv_seg.bias", contents.Tensors.Keys);
        Assert.Equal(torch.ScalarType.Int64, contents.Tensors["backbone.bn1.num_batches_tracked"].dtype);
        Assert.Equal(model.state_dict().Count, contents.Tensors.Count);

        if (!PythonTorchAvailable())
        {
            output.WriteLine("skipped the PyTorch check: /usr/bin/python3 with torch and torchvision not found (apt-get install python3-torch python3-torchvision)");
            return;
        }
        model.eval();
        torch.Tensor logits;
        var input = torch.randn(1, 3, 64, 64, generator: new torch.Generator(5));
        using (torch.no_grad())
            logits = model.DecodeHead.forward(model.Backbone.forward(input));
        var io = Path.Combine(dir, "io.safetensors");
        SafeTensors.Save(io, new Dictionary<string, torch.Tensor> { ["input"] = input, ["logits"] = logits });

        var script = Path.Combine(TestPaths.RepoRoot, "scripts", "export_check.py");
        var (exit, stdout, stderr) = ExternalProcess.Python(script, "--weights", exported, "--io", io, "--classes", "5", "--channels", "32", "--c1", "16", "--aux", "16");
        Assert.True(exit == 0, stderr);
        output.WriteLine(stdout);
        using var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        Assert.Equal(0, result.RootElement.GetProperty("missing").GetArrayLength());
        Assert.Equal(0, result.RootElement.GetProperty("unexpected").GetArrayLength());
        double diff = result.RootElement.GetProperty("max_abs_diff").GetDouble();
        double scale = Math.Max(1, result.RootElement.GetProperty("max_abs_ref").GetDouble());
        Assert.True(diff <= 1e-4 * scale, $"PyTorch logits differ from ours by {diff} (scale {scale})");
    }

    private static bool PythonTorchAvailable() =>
        File.Exists("/usr/bin/python3") && ExternalProcess.Python("-c", "import torch, torchvision").Exit == 0;
}
