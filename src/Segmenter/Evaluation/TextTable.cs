using System.Text;

namespace Segmenter.Evaluation;

/// <summary>Renders a table the way Python's PrettyTable does by default (centred cells, one space of padding, +---+ borders), so logs read like mmseg's.</summary>
internal static class TextTable
{
    public static string Pretty(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in rows)
            for (int i = 0; i < widths.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var sb = new StringBuilder();
        sb.AppendLine(rule);
        sb.AppendLine(Line(headers, widths));
        sb.AppendLine(rule);
        foreach (var row in rows) sb.AppendLine(Line(row, widths));
        sb.Append(rule);
        return sb.ToString();
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        "|" + string.Join("|", cells.Select((c, i) => " " + Center(c, widths[i]) + " ")) + "|";

    /// <summary>PrettyTable's centring: with odd excess, the extra space goes right for odd-length text, left for even-length text.</summary>
    private static string Center(string text, int width)
    {
        int excess = width - text.Length;
        int half = excess / 2;
        if (excess % 2 == 0) return new string(' ', half) + text + new string(' ', half);
        return text.Length % 2 == 1
            ? new string(' ', half) + text + new string(' ', half + 1)
            : new string(' ', half + 1) + text + new string(' ', half);
    }
}
