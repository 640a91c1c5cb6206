using Segmenter.Evaluation;
using Segmenter.IO;

namespace Segmenter.Visualization;

/// <summary>
/// `segment predict --overlay α` for panoptic models, as Detectron2's Visualizer.draw_panoptic_seg: every segment's
/// category colour blended over the photo with opacity α, a 1-pixel white outline around every segment (a pixel whose
/// right or lower neighbour belongs to another segment), and each thing instance's segment id written at its centroid.
/// VOID (id 0) keeps the photo.
/// </summary>
public static class PanopticOverlay
{
    public static RgbImage Draw(RgbImage image, PanopticIdMap map, IReadOnlyList<PanopticSegment> segments,
        Func<int, (byte R, byte G, byte B)> categoryColour, Func<int, bool> isThing, double alpha)
    {
        if (image.Width != map.Width || image.Height != map.Height)
            throw new ArgumentException($"image {image.Width}x{image.Height} and panoptic map {map.Width}x{map.Height} differ in size");
        var byId = segments.ToDictionary(s => s.Id);
        int w = map.Width, h = map.Height;
        var rgb = (byte[])image.Data.Clone();
        var sums = new Dictionary<int, (double X, double Y, long N)>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x, id = map.Ids[i];
                if (id == 0 || !byId.TryGetValue(id, out var seg)) continue;
                var c = categoryColour(seg.CategoryId);
                rgb[i * 3] = Mix(rgb[i * 3], c.R, alpha); rgb[i * 3 + 1] = Mix(rgb[i * 3 + 1], c.G, alpha); rgb[i * 3 + 2] = Mix(rgb[i * 3 + 2], c.B, alpha);
                var s = sums.GetValueOrDefault(id);
                sums[id] = (s.X + x, s.Y + y, s.N + 1);
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x, id = map.Ids[i];
                bool edge = (x + 1 < w && map.Ids[i + 1] != id) || (y + 1 < h && map.Ids[i + w] != id);
                if (edge) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = 255;
            }
        var outlined = new RgbImage(w, h, rgb);
        var labels = sums.Where(kv => byId[kv.Key] is var seg && isThing(seg.CategoryId))
            .Select(kv => (kv.Key.ToString(), (float)(kv.Value.X / kv.Value.N), (float)(kv.Value.Y / kv.Value.N))).ToList();
        return labels.Count == 0 ? outlined : TextStamp.Draw(outlined, labels, Math.Clamp(Math.Min(w, h) / 25f, 9, 20));
    }

    private static byte Mix(byte a, byte b, double alpha) => (byte)Math.Clamp(Math.Round((1 - alpha) * a + alpha * b), 0, 255);
}
