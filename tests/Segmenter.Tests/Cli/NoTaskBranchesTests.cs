using System.Text.RegularExpressions;

namespace Segmenter.Tests.Cli;

/// <summary>
/// The CLI stays thin and task-blind: no command names a model type or a panoptic class, so a new task is one
/// segmentor, one evaluator and one registry line, never a new branch in train/eval/predict/bench/export.
/// </summary>
public sealed class NoTaskBranchesTests
{
    private static readonly Regex TaskSpecific = new(@"""panoptic_deeplab""|""encoder_decoder""|\bPanopticDeepLab\b|\bEncoderDecoder\b|\bPanopticInference\b|\bPanopticPredictor\b|SegmentationTask\.",
        RegexOptions.Compiled);

    [Fact]
    public void CommandsDoNotBranchOnTheTask()
    {
        var commands = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src", "Segmenter.Cli"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(commands);
        var hits = commands.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => TaskSpecific.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "task branches in the CLI:\n" + string.Join("\n", hits));
    }

    private static readonly Regex ModelTypeName = new(@"""(panoptic_deeplab|encoder_decoder)""", RegexOptions.Compiled);

    /// <summary>
    /// A model type is named in its registry and nowhere else in the library or the CLI: code asks the registry for the
    /// type's task (ModelFactory.TaskOf) instead of comparing names.
    /// </summary>
    [Fact]
    public void ModelTypeNamesAppearOnlyInTheRegistry()
    {
        var registry = Path.Combine(TestPaths.RepoRoot, "src", "Segmenter", "Models", "ModelRegistry.cs");
        var sources = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => f != registry)
            .ToList();
        Assert.NotEmpty(sources);
        var hits = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => ModelTypeName.IsMatch(x.line) && !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal)
                && !x.line.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "model type names outside Models/ModelRegistry.cs:\n" + string.Join("\n", hits));
    }
}
