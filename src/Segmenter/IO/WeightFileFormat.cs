using System.Buffers.Binary;

namespace Segmenter.IO;

/// <summary>
/// The one file-kind sniffer for weight files: says what a file IS from its first bytes (never from its extension),
/// so every reader can name the kind it met and the kinds it accepts in one error style.
/// </summary>
public static class WeightFileFormat
{
    public enum Kind { Missing, Empty, SafeTensors, TorchZip, TorchLegacy, Pickle, Zip, Png, Jpeg, Gzip, Text, Unknown }

    /// <summary>What every weight reader accepts, for the fix part of its errors.</summary>
    public const string Accepted =
        "safetensors (segment checkpoints *.ckpt, *.safetensors) or a zip-format PyTorch file written by torch.save with torch >= 1.6 (*.pth, *.pt)";

    /// <summary>Detects the kind of the file at <paramref name="path"/> from at most its first 64 bytes.</summary>
    public static Kind Detect(string path)
    {
        if (!File.Exists(path)) return Kind.Missing;
        Span<byte> head = stackalloc byte[64];
        long length;
        int n;
        using (var fs = File.OpenRead(path))
        {
            length = fs.Length;
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        return Detect(head[..n], length);
    }

    /// <summary>Detects a kind from the first bytes of a file of <paramref name="fileLength"/> bytes.</summary>
    public static Kind Detect(ReadOnlySpan<byte> head, long fileLength)
    {
        if (fileLength == 0 || head.Length == 0) return Kind.Empty;
        if (head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return Kind.Zip; // TorchZip once data.pkl is seen
        // torch.save's legacy format: a protocol-2 pickle of the magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes).
        if (head.Length >= 4 && head[0] == 0x80 && head[1] is >= 2 and <= 5)
            return head.Length >= 5 && head[2] == 0x8a && head[3] == 0x0a && head[4] == 0x6c ? Kind.TorchLegacy : Kind.Pickle;
        if (PngCodec.HasSignature(head)) return Kind.Png;
        if (SkiaImageCodec.IsJpeg(head)) return Kind.Jpeg;
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b) return Kind.Gzip;
        // safetensors: u64 little-endian header length that fits the file, then a JSON object.
        if (head.Length >= 9)
        {
            ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (headerLen >= 2 && headerLen <= (ulong)Math.Max(0, fileLength - 8) && head[8] == '{') return Kind.SafeTensors;
        }
        bool text = true;
        foreach (var b in head)
            if (b < 0x09 || (b > 0x0d && b < 0x20 && b != 0x1b)) { text = false; break; }
        return text ? Kind.Text : Kind.Unknown;
    }

    /// <summary>A phrase for errors: "a legacy (non-zip) torch.save file", "a text file", ...</summary>
    public static string Describe(Kind kind) => kind switch
    {
        Kind.Missing => "a missing file",
        Kind.Empty => "an empty file (0 bytes)",
        Kind.SafeTensors => "a safetensors file",
        Kind.TorchZip => "a zip-format torch.save file",
        Kind.TorchLegacy => "a legacy (pre-1.6, non-zip) torch.save file",
        Kind.Pickle => "a plain Python pickle (not a torch.save file)",
        Kind.Zip => "a zip archive without data.pkl (not a torch.save file)",
        Kind.Png => "a PNG image",
        Kind.Jpeg => "a JPEG image",
        Kind.Gzip => "a gzip file",
        Kind.Text => "a text file",
        _ => "a file of unknown format",
    };

    /// <summary>The error for a file that is not a weight file this toolkit reads.</summary>
    public static SegmenterException NotAccepted(string path, Kind kind)
    {
        string fix = kind switch
        {
            Kind.TorchLegacy => "re-save it with torch >= 1.6 (torch.save(torch.load(f), g)) or convert it to safetensors; accepted: " + Accepted,
            Kind.Gzip or Kind.Zip => "unpack it first; accepted: " + Accepted,
            _ => "accepted: " + Accepted,
        };
        return new SegmenterException($"not a weight file this toolkit reads: it is {Describe(kind)}", path, fix);
    }
}
