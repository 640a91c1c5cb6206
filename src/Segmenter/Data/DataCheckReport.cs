using System.Globalization;
using System.Text;

namespace Segmenter.Data;

/// <summary>One thing wrong with the data: which item (if known) and the one-line message.</summary>
public sealed record DataProblem(string? Id, string Message);

/// <summary>What <see cref="DataChecker"/> found: problems (all of them) and per-class pixel / image counts.</summary>
public sealed class DataCheckReport
{
    public required string Split { get; init; }
    public required string Root { get; init; }
    public required int NumClasses { get; init; }
    /// <summary>Items listed (including ones whose files are missing).</summary>
    public int Listed { get; init; }
    /// <summary>Items whose image and label decoded with matching sizes.</summary>
    public int Checked { get; init; }
    public required IReadOnlyList<DataProblem> Problems { get; init; }
    public required long[] PixelsPerClass { get; init; }
    public required int[] ImagesPerClass { get; init; }
    public long IgnoredPixels { get; init; }
    /// <summary>Panoptic sets: non-crowd thing segments per class (null for semantic sets).</summary>
    public int[]? InstancesPerClass { get; init; }
    /// <summary>Pixels whose value is neither a class nor ignore.</summary>
    public long InvalidPixels { get; init; }

    public bool Ok => Problems.Count == 0;

    /// <summary>A printable summary: counts, a per-class table and the problems (the first <paramref name="maxProblems"/>).</summary>
    public string Format(IReadOnlyList<string>? classNames = null, int maxProblems = 50)
    {
        var ic = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ic, $"data check ({Split}): {Root}");
        sb.AppendLine(ic, $"  items listed {Listed}, decoded {Checked}, problems {Problems.Count}");
        long total = PixelsPerClass.Sum() + IgnoredPixels + InvalidPixels;
        int nameWidth = Math.Max(5, Enumerable.Range(0, NumClasses).Select(c => Name(classNames, c).Length).DefaultIfEmpty(5).Max());
        sb.AppendLine(ic, $"  {"id",3}  {"class".PadRight(nameWidth)}  {"images",8}  {"pixels",14}  {"share",7}");
        for (int c = 0; c < NumClasses; c++)
            sb.AppendLine(ic, $"  {c,3}  {Name(classNames, c).PadRight(nameWidth)}  {ImagesPerClass[c],8}  {PixelsPerClass[c],14}  {Share(PixelsPerClass[c], total),7}{(InstancesPerClass is { } inst ? $"  instances {inst[c]}" : "")}");
        sb.AppendLine(ic, $"  {"",3}  {"ignore".PadRight(nameWidth)}  {"",8}  {IgnoredPixels,14}  {Share(IgnoredPixels, total),7}");
        if (InvalidPixels > 0) sb.AppendLine(ic, $"  {"",3}  {"invalid".PadRight(nameWidth)}  {"",8}  {InvalidPixels,14}  {Share(InvalidPixels, total),7}");
        if (Problems.Count > 0)
        {
            sb.AppendLine(ic, $"problems ({Problems.Count}):");
            foreach (var p in Problems.Take(maxProblems)) sb.AppendLine(ic, $"  {p.Message}");
            if (Problems.Count > maxProblems) sb.AppendLine(ic, $"  ... and {Problems.Count - maxProblems} more");
        }
        else sb.AppendLine("no problems found");
        return sb.ToString();
    }

    private static string Name(IReadOnlyList<string>? names, int c) => names is not null && c < names.Count ? names[c] : $"class{c}";

    private static string Share(long n, long total) => total == 0 ? "-" : (100.0 * n / total).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
