using Segmenter.Config;

namespace Segmenter.Tests.Config;

[CollectionDefinition(nameof(CurrentDirectoryCollection), DisableParallelization = true)]
public class CurrentDirectoryCollection;

/// <summary>These tests change the process's current directory, so they run alone.</summary>
[Collection(nameof(CurrentDirectoryCollection))]
public class ConfigLookupTests
{
    [Fact]
    public void FindsConfigsUnderConfigsOfTheCurrentDirectory()
    {
        var dir = ConfigTestSupport.WriteTree(("configs/_base_/m.yaml", "model:\n  num_classes: 4\n"),
            ("configs/exp.yaml", "_base_: _base_/m.yaml\noptimizer:\n  lr: 0.3\n"));
        InDirectory(dir, () =>
        {
            foreach (var name in new[] { "exp.yaml", "exp", "configs/exp.yaml" })
            {
                var cfg = ConfigLoader.Load(name);
                Assert.Equal(4, cfg.Model.NumClasses);
                Assert.Equal(0.3, cfg.Optimizer.Lr);
            }
            Assert.Equal(Path.GetFullPath(Path.Combine(dir, "configs", "exp.yaml")), ConfigLoader.ResolvePath("exp"));
        });
    }

    [Fact]
    public void FindsTheRepoConfigsFromASubfolder()
    {
        InDirectory(Path.Combine(TestPaths.RepoRoot, "tests"), () =>
        {
            Assert.Equal(TestPaths.RepoRoot, ConfigLoader.FindRepoRoot());
            var cfg = ConfigLoader.Load("smoke_voc.yaml", ["schedule.max_iters=7"]);
            Assert.Equal(7, cfg.Schedule.MaxIters);
            Assert.Equal(18, cfg.Model.Backbone.Depth);
        });
    }

    [Fact]
    public void MissingConfigListsWhereItLooked()
    {
        var dir = TestPaths.NewTempDir("segcfg");
        InDirectory(dir, () =>
        {
            var message = Assert.Throws<SegmenterException>(() => ConfigLoader.Load("absent")).Message;
            Assert.Contains("config file 'absent' not found", message);
            Assert.Contains("looked in: ., configs", message);
        });
    }

    private static void InDirectory(string dir, Action action)
    {
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(dir);
        try { action(); }
        finally { Directory.SetCurrentDirectory(previous); }
    }
}
