namespace Segmenter.Visualization;

/// <summary>One value of one event, as read back from an event file.</summary>
/// <param name="Kind">scalar | image | text | other</param>
public sealed record TensorBoardValue(long Step, double WallTime, string Tag, string Kind, double Scalar, string? Text, int Width, int Height, byte[]? Png);

/// <summary>
/// Reads TensorBoard event files record by record: TFRecord framing with both CRC-32Cs checked (<see cref="TfRecord"/>),
/// each payload parsed as a tensorboard Event proto (the generated classes TorchSharp ships), and every summary value
/// flattened to a <see cref="TensorBoardValue"/>. Used by tests and `segment report`.
/// </summary>
public static class TensorBoardReader
{
    /// <summary>The event files of a log dir (events.out.tfevents.*), oldest first.</summary>
    public static IReadOnlyList<string> EventFiles(string logDir) =>
        Directory.Exists(logDir)
            ? Directory.GetFiles(logDir, "events.out.tfevents.*").OrderBy(File.GetLastWriteTimeUtc).ThenBy(p => p, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The file_version of the first event ("brain.Event:2") and every summary value of the file.</summary>
    public static (string? FileVersion, List<TensorBoardValue> Values) Read(string path)
    {
        string? version = null;
        var values = new List<TensorBoardValue>();
        using var stream = File.OpenRead(path);
        foreach (var payload in TfRecord.ReadAll(stream, path))
        {
            var e = Tensorboard.Event.Parser.ParseFrom(payload);
            if (e.WhatCase == Tensorboard.Event.WhatOneofCase.FileVersion) version ??= e.FileVersion;
            if (e.WhatCase != Tensorboard.Event.WhatOneofCase.Summary) continue;
            foreach (var v in e.Summary.Value)
            {
                values.Add(v.ValueCase switch
                {
                    Tensorboard.Summary.Types.Value.ValueOneofCase.SimpleValue =>
                        new TensorBoardValue(e.Step, e.WallTime, v.Tag, "scalar", v.SimpleValue, null, 0, 0, null),
                    Tensorboard.Summary.Types.Value.ValueOneofCase.Image =>
                        new TensorBoardValue(e.Step, e.WallTime, v.Tag, "image", double.NaN, null, v.Image.Width, v.Image.Height, v.Image.EncodedImageString.ToByteArray()),
                    Tensorboard.Summary.Types.Value.ValueOneofCase.Tensor when v.Metadata?.PluginData?.PluginName == "text" =>
                        new TensorBoardValue(e.Step, e.WallTime, v.Tag, "text", double.NaN,
                            string.Join("\n", v.Tensor.StringVal.Select(s => s.ToStringUtf8())), 0, 0, null),
                    _ => new TensorBoardValue(e.Step, e.WallTime, v.Tag, "other", double.NaN, null, 0, 0, null),
                });
            }
        }
        return (version, values);
    }

    /// <summary>Every summary value of every event file of a log dir.</summary>
    public static List<TensorBoardValue> ReadDir(string logDir) => EventFiles(logDir).SelectMany(f => Read(f).Values).ToList();
}
