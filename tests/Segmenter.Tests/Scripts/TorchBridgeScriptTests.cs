using Xunit;

namespace Segmenter.Tests.Scripts;

/// <summary>
/// scripts/build_torchsharp_bridge.sh (issue #18): the dry run finds the installed PyTorch's CMake files and libraries
/// and prints the build it would run; a Python without torch or a source tree without LibTorchSharp stop with one line.
/// The real build needs PyTorch 2.10 (TorchSharp 0.107's API); Debian's PyTorch 1.13 stands in for the dry run.
/// </summary>
public class TorchBridgeScriptTests
{
    private static string FakeTorchSharpSource()
    {
        var dir = TestPaths.NewTempDir("torchsharp-src");
        Directory.CreateDirectory(Path.Combine(dir, "src", "Native", "LibTorchSharp"));
        File.WriteAllText(Path.Combine(dir, "src", "Native", "CMakeLists.txt"), "add_definitions(-Werror)\n");
        return dir;
    }

    [Fact]
    public void DryRunFindsPyTorchAndPrintsTheBuild()
    {
        var source = FakeTorchSharpSource();
        var outDir = TestPaths.NewTempDir("bridge-out");
        // Debian's python3-torch has no CMake files (libtorch-dev has them): then a stand-in prefix is passed.
        List<string> args = ["--python", "/usr/bin/python3", "--source", source, "--out", outDir, "--dry-run"];
        if (!HasTorchCMake())
        {
            args.AddRange(["--cmake-prefix", StandInCMakePrefix()]);
        }
        var (code, stdout, stderr) = ScriptRunner.Run("build_torchsharp_bridge.sh", args);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Matches(@"PyTorch \d+\.\d+", stdout);
        Assert.Contains("CMake prefix: /", stdout);
        Assert.Contains($"-DLIBTORCH_PATH=", stdout);
        Assert.Contains("--target LibTorchSharp", stdout);
        Assert.Contains("dry run: nothing built", stdout);
        Assert.False(File.Exists(Path.Combine(outDir, "libLibTorchSharp.so")));
        if (!stdout.Contains("PyTorch 2.10")) Assert.Contains("may not compile", stderr);
    }

    private static string StandInCMakePrefix()
    {
        var prefix = TestPaths.NewTempDir("torch-cmake");
        Directory.CreateDirectory(Path.Combine(prefix, "Torch"));
        File.WriteAllText(Path.Combine(prefix, "Torch", "TorchConfig.cmake"), "# stand-in\n");
        return prefix;
    }

    private static bool HasTorchCMake() =>
        File.Exists("/usr/lib/python3/dist-packages/torch/share/cmake/Torch/TorchConfig.cmake")
        || Directory.Exists("/usr/lib/x86_64-linux-gnu/cmake/Torch");

    [Fact]
    public void PythonWithoutTorchIsOneLineExit2()
    {
        var (code, _, stderr) = ScriptRunner.Run("build_torchsharp_bridge.sh", ["--python", "/bin/false", "--dry-run"]);
        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("import torch", stderr);
    }

    [Fact]
    public void SourceWithoutLibTorchSharpIsOneLineExit2()
    {
        var empty = TestPaths.NewTempDir("empty-src");
        var (code, _, stderr) = ScriptRunner.Run("build_torchsharp_bridge.sh",
            ["--python", "/usr/bin/python3", "--source", empty, "--cmake-prefix", StandInCMakePrefix(), "--dry-run"]);
        Assert.Equal(2, code);
        Assert.Contains("src/Native/LibTorchSharp", stderr.Trim().Split('\n').Last());
    }
}
