using System.Diagnostics;
using Segmenter.Config;
using Segmenter.IO;
using Segmenter.Models;
using Segmenter.Tests.EndToEnd;
using Xunit;

namespace Segmenter.Tests.Scripts;

/// <summary>
/// `dotnet pack` of the library (issue #17): scripts/pack.sh --library-only makes the Segmenter package, and
/// samples/EmbedSegmenter (the README's lines of C#) builds against it from a local feed and segments an image.
/// A unique version per run keeps the NuGet cache from serving an older build of the package.
/// </summary>
[Collection("cli")]
public class PackTests
{
    [Fact]
    public void LibraryPackageBuildsAndRunsTheReadmeSample()
    {
        var feed = TestPaths.NewTempDir("nupkg");
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var (code, stdout, stderr) = ScriptRunner.Run("pack.sh", ["--library-only", "--version", version, "--out", feed]);
        Assert.True(code == 0, $"pack exit {code}: {stdout}\n{stderr}");
        Assert.True(File.Exists(Path.Combine(feed, $"Segmenter.{version}.nupkg")), stdout);

        var sample = Path.Combine(TestPaths.RepoRoot, "samples", "EmbedSegmenter");
        var bin = TestPaths.NewTempDir("embed_bin");
        var obj = TestPaths.NewTempDir("embed_obj");
        var build = ExternalProcess.Run("dotnet", ["build", Path.Combine(sample, "EmbedSegmenter.csproj"), "-c", "Release", "-o", bin,
            $"-p:BaseIntermediateOutputPath={obj}/", $"-p:SegmenterVersion={version}", $"-p:RestoreAdditionalProjectSources={feed}", "--nologo"]);
        Assert.True(build.Exit == 0, $"sample build exit {build.Exit}: {build.Out}\n{build.Err}");

        List<string> overrides = [$"data.root={SynthData.VocRoot}"];
        var cfg = ConfigLoader.Load(SynthData.SmokeConfig, overrides);
        var configPath = Path.Combine(TestPaths.NewTempDir("embed_cfg"), "model.yaml");
        File.WriteAllText(configPath, ConfigWriter.ToYaml(cfg));
        using var model = ModelFactory.Create(cfg.Model, ModelFactory.InputSizeOf(cfg));
        var weights = Path.Combine(Path.GetDirectoryName(configPath)!, "model.safetensors");
        SafeTensors.Save(weights, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string>());
        var image = Directory.EnumerateFiles(Path.Combine(SynthData.VocRoot, "JPEGImages")).Order(StringComparer.Ordinal).First();

        var run = ExternalProcess.Run("dotnet", [Path.Combine(bin, "EmbedSegmenter.dll"), configPath, weights, image]);
        Assert.True(run.Exit == 0, $"sample exit {run.Exit}: {run.Out}\n{run.Err}");
        Assert.Matches($@"{Path.GetFileName(image)} \d+x\d+: \w+ [\d.]+%", run.Out);
    }
}
