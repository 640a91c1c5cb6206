using System.Text;
using Segmenter.IO;
using Segmenter.Visualization;

namespace Segmenter.Tests.Visualization;

public sealed class TensorBoardTests
{
    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        // CRC-32C check value of "123456789" (RFC 3720 / the Castagnoli catalogue entry): 0xE3069283.
        Assert.Equal(0xE3069283u, TfRecord.Crc32C(Encoding.ASCII.GetBytes("123456789")));
        // TensorFlow's Mask: rotate right 15, add 0xa282ead8.
        uint crc = 0xE3069283u;
        Assert.Equal(((crc >> 15) | (crc << 17)) + 0xa282ead8u, TfRecord.MaskedCrc(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void RecordsRoundTripAndCorruptionIsCaught()
    {
        using var ms = new MemoryStream();
        TfRecord.Write(ms, [1, 2, 3]);
        TfRecord.Write(ms, []);
        Assert.Equal(12 + 3 + 4 + 12 + 4, ms.Length);
        ms.Position = 0;
        var records = TfRecord.ReadAll(ms, "mem").ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal([1, 2, 3], records[0]);
        Assert.Empty(records[1]);

        var bytes = ms.ToArray();
        bytes[13] ^= 0xFF; // a payload byte of the first record
        var e = Assert.Throws<SegmenterException>(() => TfRecord.ReadAll(new MemoryStream(bytes), "mem").ToList());
        Assert.Contains("data CRC", e.Message);

        // A record cut short (a killed run) ends the sequence without an error.
        var cut = ms.ToArray()[..^2];
        Assert.Single(TfRecord.ReadAll(new MemoryStream(cut), "mem"));
    }

    [Fact]
    public void WriterEventsReadBackRecordByRecord()
    {
        var dir = TestPaths.NewTempDir("tb");
        var writer = new TensorBoardWriter(dir);
        writer.AddScalar("train/loss", 1.5, 10);
        writer.AddScalar("train/loss", 0.25, 20);
        writer.AddScalar("train/skip", double.NaN, 20); // non-finite values are not written
        writer.AddText("config", "model:\n  type: x", 0);
        var img = new RgbImage(3, 2, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        writer.AddImage("val_images/a", img, 20);

        var file = Assert.Single(TensorBoardReader.EventFiles(dir));
        var (version, values) = TensorBoardReader.Read(file);
        Assert.Equal("brain.Event:2", version);

        var losses = values.Where(v => v.Tag == "train/loss").ToList();
        Assert.Equal([10L, 20L], losses.Select(v => v.Step));
        Assert.Equal([1.5, 0.25], losses.Select(v => v.Scalar));
        Assert.All(losses, v => Assert.Equal("scalar", v.Kind));
        Assert.DoesNotContain(values, v => v.Tag == "train/skip");

        var text = Assert.Single(values, v => v.Kind == "text");
        Assert.StartsWith("config", text.Tag);
        Assert.Equal("model:\n  type: x", text.Text);

        var image = Assert.Single(values, v => v.Kind == "image");
        Assert.Equal(("val_images/a", 20L, 3, 2), (image.Tag, image.Step, image.Width, image.Height));
        var decoded = ImageIO.DecodeRgb(image.Png!, "event");
        Assert.Equal(img.Data, decoded.Data);
    }
}
