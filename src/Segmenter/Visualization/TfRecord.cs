using System.Buffers.Binary;
using System.IO.Hashing;

namespace Segmenter.Visualization;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files: per record a little-endian uint64 length, the masked
/// CRC-32C of those 8 bytes, the payload, and the masked CRC-32C of the payload
/// (tensorflow/core/lib/io/record_writer.cc; the mask is tensorflow/core/lib/hash/crc32c.h Mask: rotate right by 15
/// and add 0xa282ead8, so that CRCs of data that holds CRCs stay well distributed).
/// </summary>
public static class TfRecord
{
    private const uint MaskDelta = 0xa282ead8u;

    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    /// <summary>CRC-32C (Castagnoli), as TensorFlow's crc32c::Value.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    public static void Write(Stream stream, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        stream.Write(header);
        stream.Write(payload);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(payload));
        stream.Write(footer);
    }

    /// <summary>
    /// The records of a stream in order, each checked against both CRCs. A record cut short at the end (a run killed
    /// mid-write) ends the sequence; a CRC mismatch throws, naming the record, since the file is then corrupt.
    /// </summary>
    public static IEnumerable<byte[]> ReadAll(Stream stream, string source)
    {
        var header = new byte[12];
        var footer = new byte[4];
        for (int index = 0; ; index++)
        {
            if (stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) < 12) yield break;
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)) != MaskedCrc(header.AsSpan(0, 8)))
                throw new SegmenterException($"TFRecord {index}: length CRC mismatch", source, "the event file is corrupt; delete it");
            if (length > int.MaxValue)
                throw new SegmenterException($"TFRecord {index}: length {length} too large", source, "the event file is corrupt; delete it");
            var payload = new byte[length];
            if (stream.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false) < payload.Length) yield break;
            if (stream.ReadAtLeast(footer, 4, throwOnEndOfStream: false) < 4) yield break;
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != MaskedCrc(payload))
                throw new SegmenterException($"TFRecord {index}: data CRC mismatch", source, "the event file is corrupt; delete it");
            yield return payload;
        }
    }
}
