namespace Segmenter.Tests.Parity;

/// <summary>
/// Enumerates the fixture files of one module family (a file-name glob in <see cref="TestPaths.Fixtures"/>) as xunit
/// theory data, so new cases drop in without code changes. An empty family or a missing directory becomes one
/// failing row that says so, instead of silently running nothing.
/// </summary>
public static class ParityFixtureFiles
{
    public const string Missing = "<missing>: ";

    public static IEnumerable<object[]> Family(string glob)
    {
        string[] files;
        string dir;
        try
        {
            dir = TestPaths.Fixtures;
            files = Directory.GetFiles(dir, glob + ".safetensors").Select(Path.GetFileName).OfType<string>().OrderBy(f => f, StringComparer.Ordinal).ToArray();
        }
        catch (Exception e)
        {
            return new[] { new object[] { $"{Missing}{glob}: {e.Message}" } };
        }
        if (files.Length == 0)
            return new[] { new object[] { $"{Missing}no {glob}.safetensors fixture in {dir}" } };
        return files.Select(f => new object[] { f });
    }

    /// <summary>Full path of a row from <see cref="Family"/>; fails the test for the "missing" row.</summary>
    public static string Resolve(string file)
    {
        Assert.False(file.StartsWith(Missing, StringComparison.Ordinal), file);
        return Path.Combine(TestPaths.Fixtures, file);
    }
}
