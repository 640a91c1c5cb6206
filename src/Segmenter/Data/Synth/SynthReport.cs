namespace Segmenter.Data.Synth;

/// <summary>What <see cref="VocSynth.Generate"/> wrote: where the VOC2012 root is, which ids went to which split, which classes appear.</summary>
public sealed record SynthReport(
    string OutDir,
    string Voc2012Root,
    IReadOnlyList<string> Ids,
    IReadOnlyList<string> TrainIds,
    IReadOnlyList<string> ValIds,
    IReadOnlyList<int> ClassesUsed,
    IReadOnlyDictionary<int, long> PixelsPerClass)
{
    public int Count => Ids.Count;
    public int TrainCount => TrainIds.Count;
    public int ValCount => ValIds.Count;
}
