using Segmenter.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Visualization;

/// <summary>
/// TensorBoard event files for a run: scalars, text and images under one log dir, in the TFRecord-framed Event
/// protos TensorBoard reads. Built on TorchSharp 0.107's torch.utils.tensorboard.SummaryWriter, which was tested
/// against this project's SkiaSharp 3 (scalars, text and PNG images all write; the reader test checks them record by
/// record). Each event is appended to the file as it is added, so a killed run keeps every event written so far.
/// Steps are iterations (TorchSharp takes them as int).
/// </summary>
public sealed class TensorBoardWriter
{
    private readonly TorchSharp.Modules.SummaryWriter _writer;

    public TensorBoardWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        LogDir = logDir;
        _writer = torch.utils.tensorboard.SummaryWriter(logDir);
    }

    public string LogDir { get; }

    public void AddScalar(string tag, double value, long step)
    {
        if (double.IsFinite(value)) _writer.add_scalar(tag, (float)value, Step(step));
    }

    /// <summary>Text (Markdown) under the TensorBoard text plugin, e.g. the resolved config.</summary>
    public void AddText(string tag, string text, long step) => _writer.add_text(tag, text, Step(step));

    /// <summary>An RGB image, stored PNG-encoded (Summary.Image).</summary>
    public void AddImage(string tag, RgbImage image, long step)
    {
        using var scope = NewDisposeScope();
        var hwc = tensor(image.Data, [image.Height, image.Width, 3], ScalarType.Byte);
        _writer.add_img(tag, hwc, Step(step), dataformats: "HWC");
    }

    private static int Step(long step) => (int)Math.Min(step, int.MaxValue);
}
