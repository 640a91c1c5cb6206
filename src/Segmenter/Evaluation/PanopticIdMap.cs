using Segmenter.IO;

namespace Segmenter.Evaluation;

/// <summary>A panoptic segment-id map (H x W), decoded from a COCO panoptic RGB PNG as id = R + 256·G + 256²·B; 0 is VOID.</summary>
public sealed record PanopticIdMap(int Width, int Height, int[] Ids)
{
    /// <summary>Reads an 8-bit RGB (or RGBA, alpha ignored) PNG as segment ids, like panopticapi's rgb2id; its declared
    /// size is checked against <paramref name="maxPixels"/> (data.max_image_pixels) first.</summary>
    public static PanopticIdMap ReadRgbPng(string path, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var png = PngCodec.Decode(path, maxPixels);
        if (png.Channels < 3 || png.Color == PngCodec.ColorType.Palette)
            throw new SegmenterException($"panoptic PNG is a {png.Color} image; an RGB image with id = R + 256*G + 256^2*B is expected", path,
                "write panoptic id maps as RGB PNGs (COCO panoptic format)");
        if (png.BitDepth != 8)
            throw new SegmenterException($"panoptic PNG has {png.BitDepth}-bit samples; 8-bit RGB is expected", path,
                "write panoptic id maps as 8-bit RGB PNGs");
        int n = png.Width * png.Height, ch = png.Channels;
        var ids = new int[n];
        var s = png.Samples;
        for (int i = 0, j = 0; i < n; i++, j += ch) ids[i] = s[j] + 256 * s[j + 1] + 65536 * s[j + 2];
        return new PanopticIdMap(png.Width, png.Height, ids);
    }

    /// <summary>Encodes ids (0 .. 256³-1) as an RGB PNG; the inverse of <see cref="ReadRgbPng"/>.</summary>
    public static void WriteRgbPng(string path, PanopticIdMap map)
    {
        var rgb = new byte[map.Ids.Length * 3];
        for (int i = 0; i < map.Ids.Length; i++)
        {
            int id = map.Ids[i];
            if (id < 0 || id >= 1 << 24) throw new ArgumentOutOfRangeException(nameof(map), $"segment id {id} does not fit in 24 bits");
            rgb[i * 3] = (byte)id; rgb[i * 3 + 1] = (byte)(id >> 8); rgb[i * 3 + 2] = (byte)(id >> 16);
        }
        AtomicFile.WriteAllBytes(path, PngCodec.Encode(map.Width, map.Height, 3, rgb));
    }
}
