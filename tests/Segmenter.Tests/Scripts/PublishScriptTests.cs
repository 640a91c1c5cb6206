using System.Text.RegularExpressions;
using Xunit;

namespace Segmenter.Tests.Scripts;

/// <summary>
/// scripts/publish.sh --backend external (issue #18): a self-contained `segment` without LibTorch, compressed under
/// 60 MiB, and the published binary runs (a model built, one bench step) on a LibTorch that is not beside it, here the
/// restored TorchSharp-cpu package's, as it would on a cluster's PyTorch through scripts/segment-torch.
/// </summary>
[Collection("cli")]
public class PublishScriptTests
{
    [Fact]
    public void ExternalPublishIsSmallAndRunsOnAnOutsideLibTorch()
    {
        var (code, stdout, stderr) = ScriptRunner.Run("publish.sh", ["--backend", "external", "--check"]);
        Assert.True(code == 0, $"exit {code}: {stdout}\n{stderr}");
        var size = Regex.Match(stdout, @"segment-external-linux-x64\s+[\d.]+ MiB unpacked\s+([\d.]+) MiB \.tar\.gz");
        Assert.True(size.Success, stdout);
        Assert.InRange(double.Parse(size.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Contains("one bench step ran", stdout);
        Assert.False(File.Exists(Path.Combine(TestPaths.RepoRoot, "dist", "segment-external-linux-x64", "libtorch_cpu.so")));
    }
}
