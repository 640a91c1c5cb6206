using System.Text.Json;

namespace Segmenter.Checkpoints;

/// <summary>
/// Training-loop state besides the model, optimizer and RNG that a resumed run must continue from (e.g. the early
/// stopping counter): written as numbers into every checkpoint's extra JSON and read back on resume.
/// </summary>
public interface ICheckpointedState
{
    void Write(IDictionary<string, double?> extra);
    void Read(JsonElement extra);
}
