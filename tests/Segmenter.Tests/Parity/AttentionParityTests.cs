using Xunit.Abstractions;

namespace Segmenter.Tests.Parity;

/// <summary>Every official-module fixture, one theory row per file, grouped by module family.</summary>
public class AttentionParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> PsaFiles => ParityFixtureFiles.Family("psa_*");

    [Theory]
    [MemberData(nameof(PsaFiles))]
    public void Psa(string file) => Check(file);

    public static IEnumerable<object[]> IsaFiles => ParityFixtureFiles.Family("isa_*");
    public static IEnumerable<object[]> MmsegIsaFiles => ParityFixtureFiles.Family("mmseg_isa_*");

    [Theory]
    [MemberData(nameof(IsaFiles))]
    public void OpensegIsa(string file) => Check(file);

    [Theory]
    [MemberData(nameof(MmsegIsaFiles))]
    public void MmsegIsa(string file) => Check(file);

    public static IEnumerable<object[]> AxialFiles => ParityFixtureFiles.Family("axial_*");

    [Theory]
    [MemberData(nameof(AxialFiles))]
    public void Axial(string file) => Check(file);

    private void Check(string file) => ParityCheck.AssertMatches(ParityFixtureFiles.Resolve(file), output.WriteLine);
}
