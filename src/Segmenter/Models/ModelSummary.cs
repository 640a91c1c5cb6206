using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models;

/// <summary>
/// Parameter counts per top-level module and per stage (its direct children), plus the total, for
/// `segment config show --model-summary`. Buffers (BN running stats) are not parameters and are not counted.
/// </summary>
public static class ModelSummary
{
    public sealed record Entry(string Name, long Parameters, long Trainable, int Depth);

    public static IReadOnlyList<Entry> Collect(nn.Module model)
    {
        var entries = new List<Entry>();
        foreach (var (name, child) in model.named_children())
        {
            entries.Add(Count(name, child, 0));
            foreach (var (sub, grandChild) in child.named_children())
            {
                var e = Count($"{name}.{sub}", grandChild, 1);
                if (e.Parameters > 0) entries.Add(e);
            }
        }
        return entries;
    }

    public static string Format(nn.Module model)
    {
        var entries = Collect(model);
        long total = 0, trainable = 0;
        foreach (var p in model.parameters()) { total += p.numel(); if (p.requires_grad) trainable += p.numel(); }
        int width = Math.Max(20, entries.Select(e => e.Name.Length + 2 * e.Depth).DefaultIfEmpty(0).Max() + 2);
        var sb = new StringBuilder();
        sb.AppendLine($"{"module".PadRight(width)}{"params",14}");
        foreach (var e in entries)
            sb.AppendLine($"{(new string(' ', 2 * e.Depth) + e.Name).PadRight(width)}{N(e.Parameters),14}");
        // Attention inside the backbone's blocks (PSA `deattn`) is spread over every block: show its share.
        long attention = 0;
        foreach (var (name, p) in model.named_parameters())
            if (name.Contains(".deattn.", StringComparison.Ordinal) || name.StartsWith("deattn.", StringComparison.Ordinal)) attention += p.numel();
        if (attention > 0)
            sb.AppendLine($"{"of which deattn".PadRight(width)}{N(attention),14}  ({(100.0 * attention / total).ToString("0.00", CultureInfo.InvariantCulture)} %)");
        sb.AppendLine($"{"total".PadRight(width)}{N(total),14}  ({Millions(total)})");
        if (trainable != total) sb.AppendLine($"{"trainable".PadRight(width)}{N(trainable),14}");
        return sb.ToString();
    }

    private static Entry Count(string name, nn.Module m, int depth)
    {
        long n = 0, t = 0;
        foreach (var p in m.parameters()) { n += p.numel(); if (p.requires_grad) t += p.numel(); }
        return new Entry(name, n, t, depth);
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    private static string Millions(long v) => (v / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M";
}
