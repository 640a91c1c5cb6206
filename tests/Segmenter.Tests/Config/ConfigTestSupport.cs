using System.Collections;
using Segmenter.Config;

namespace Segmenter.Tests.Config;

/// <summary>Helpers for config tests: temp config trees and a deep (list-aware) equality for the records.</summary>
internal static class ConfigTestSupport
{
    /// <summary>Writes the given files (relative path -> YAML) into a fresh temp folder and returns the folder.</summary>
    public static string WriteTree(params (string Path, string Yaml)[] files)
    {
        var dir = TestPaths.NewTempDir("segcfg");
        foreach (var (path, yaml) in files)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, yaml);
        }
        return dir;
    }

    /// <summary>Loads YAML text expecting a SegmenterException and returns its message.</summary>
    public static string LoadError(string yaml, params string[] overrides) =>
        Assert.Throws<SegmenterException>(() => ConfigLoader.LoadText(yaml, "test.yaml", overrides)).Message;

    /// <summary>Records compare their List properties by reference; this compares them element by element.</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.GetType() != b.GetType()) return false;
        if (a is string || a.GetType().IsValueType) return a.Equals(b);
        if (a is IList la && b is IList lb)
            return la.Count == lb.Count && Enumerable.Range(0, la.Count).All(i => DeepEquals(la[i], lb[i]));
        return a.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0)
            .All(p => DeepEquals(p.GetValue(a), p.GetValue(b)));
    }
}
