namespace Segmenter.Config;

/// <summary>
/// Reads a config: resolves the file (as given, else under configs/), merges its `_base_` files, applies
/// `--cfg-options` overrides, maps the result onto <see cref="ExperimentConfig"/> and validates it.
/// Every problem is a one-line <see cref="SegmenterException"/> naming the file and line or the option.
/// </summary>
public static class ConfigLoader
{
    public const string BaseKey = "_base_";

    /// <summary>Loads, merges, overrides, maps and validates the config at <paramref name="path"/>.</summary>
    /// <param name="path">A YAML file; if it does not exist as given it is looked up under ./configs/ and the repo's configs/.</param>
    /// <param name="overrides">`key.path=value` items as given to --cfg-options.</param>
    public static ExperimentConfig Load(string path, IReadOnlyList<string>? overrides = null)
    {
        var file = ResolvePath(path);
        var tree = LoadTree(file, []);
        return Finish(tree, overrides, Display(file));
    }

    /// <summary>Like <see cref="Load"/> for YAML held in memory; `_base_` paths are relative to the folder of
    /// <paramref name="sourceName"/> when it names a file path, else to the current directory.</summary>
    public static ExperimentConfig LoadText(string yaml, string sourceName = "<text>", IReadOnlyList<string>? overrides = null)
    {
        var directory = Path.GetDirectoryName(sourceName);
        var baseDirectory = string.IsNullOrEmpty(directory) ? Directory.GetCurrentDirectory() : Path.GetFullPath(directory);
        var root = YamlTreeReader.ReadDocument(yaml, sourceName);
        var tree = WithBases(root, sourceName, baseDirectory, []);
        return Finish(tree, overrides, sourceName);
    }

    /// <summary>
    /// The file a config argument names: the path as given, else configs/&lt;path&gt; under the current directory,
    /// else under the repository found by walking up to a folder holding Segmenter.sln; ".yaml" may be left off.
    /// </summary>
    public static string ResolvePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new SegmenterException("no config file given", null, "pass a YAML file, e.g. configs/smoke_voc.yaml");
        var candidates = Candidates(path).Distinct().ToList();
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new SegmenterException($"config file '{path}' not found", path,
            $"give an existing .yaml file or a name under configs/ (looked in: {string.Join(", ", candidates.Select(c => Display(Path.GetDirectoryName(c)!)).Distinct())})");
    }

    private static IEnumerable<string> Candidates(string path)
    {
        var names = Path.HasExtension(path) ? new[] { path } : new[] { path, path + ".yaml", path + ".yml" };
        foreach (var name in names) yield return Path.GetFullPath(name);
        if (Path.IsPathRooted(path)) yield break;
        foreach (var name in names) yield return Path.GetFullPath(Path.Combine("configs", name));
        if (FindRepoRoot() is { } repo)
            foreach (var name in names)
            {
                yield return Path.GetFullPath(Path.Combine(repo, "configs", name));
                yield return Path.GetFullPath(Path.Combine(repo, name));
            }
    }

    /// <summary>The nearest folder at or above the current directory that holds Segmenter.sln, or null.</summary>
    public static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Segmenter.sln"))) return dir.FullName;
        return null;
    }

    private static ExperimentConfig Finish(ConfigMap tree, IReadOnlyList<string>? overrides, string source)
    {
        // Start from every default so overrides can address any key (e.g. data.train.parts.0.split) and the
        // mapper sees one complete tree; keys from files and options keep their own locations.
        var full = (ConfigMap)ConfigMerger.Merge(ConfigWriter.ToTree(new ExperimentConfig(), ConfigLocation.Default), tree);
        foreach (var option in overrides ?? []) ConfigOverrides.Apply(full, option);
        var config = ConfigMapper.Map<ExperimentConfig>(full);
        ConfigValidator.Validate(config, source);
        return config;
    }

    /// <summary>The file's tree with its bases merged underneath (mmseg order: bases in list order, then the file).</summary>
    private static ConfigMap LoadTree(string fullPath, List<string> chain)
    {
        var display = Display(fullPath);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (IOException e)
        {
            throw new SegmenterException($"cannot read config: {e.Message}", display, "check the path and permissions", e);
        }
        var root = YamlTreeReader.ReadDocument(text, display);
        return WithBases(root, display, Path.GetDirectoryName(fullPath)!, [.. chain, fullPath]);
    }

    private static ConfigMap WithBases(ConfigMap root, string display, string directory, List<string> chain)
    {
        if (root.Find(BaseKey) is not { } baseEntry) return (ConfigMap)ConfigMerger.Merge(null, root);
        root.Remove(BaseKey);

        ConfigNode merged = new ConfigMap(root.Location);
        foreach (var (name, location) in BaseNames(baseEntry))
        {
            var full = Path.GetFullPath(Path.Combine(directory, name));
            if (!File.Exists(full))
                throw new SegmenterException($"base config '{name}' not found (looked for {Display(full)})", location.ToString(),
                    "_base_ paths are relative to the folder of the file that lists them");
            if (chain.Contains(full))
                throw new SegmenterException(
                    $"cyclic _base_: {string.Join(" -> ", chain.SkipWhile(c => c != full).Append(full).Select(Display))}",
                    location.ToString(), "remove the _base_ entry that leads back to an including file");
            merged = ConfigMerger.Merge(merged, LoadTree(full, chain));
        }
        return (ConfigMap)ConfigMerger.Merge(merged, root);
    }

    private static IEnumerable<(string Name, ConfigLocation Location)> BaseNames(ConfigEntry entry)
    {
        var items = entry.Value switch
        {
            ConfigScalar { IsNull: false } s => [s],
            ConfigList list => list.Items,
            _ => throw BadBase(entry.KeyLocation),
        };
        foreach (var item in items)
        {
            if (item is not ConfigScalar { IsNull: false } s || s.Value.Length == 0) throw BadBase(item.Location);
            yield return (s.Value, s.Location);
        }
    }

    private static SegmenterException BadBase(ConfigLocation location) =>
        new($"{BaseKey} must be a file path or a list of file paths", location.ToString(),
            "write e.g. `_base_: [_base_/models/deeplabv3plus_r50-d8.yaml, _base_/default_runtime.yaml]`");

    /// <summary>A path as short as it can be printed: relative to the current directory when below it.</summary>
    private static string Display(string fullPath)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? fullPath : relative;
    }
}
