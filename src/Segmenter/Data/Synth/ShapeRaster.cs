namespace Segmenter.Data.Synth;

/// <summary>
/// Hard-edged rasterisation of filled shapes into a class map: a pixel belongs to a shape when its centre
/// (x + 0.5, y + 0.5) lies inside. No anti-aliasing, so the drawn image and the label agree pixel for pixel.
/// </summary>
internal static class ShapeRaster
{
    public enum Kind { Circle, Rectangle, Triangle, Ellipse }

    /// <summary>One filled shape; <see cref="Contains"/> is the inside test at a point. A, B: half sizes (radius for circle and triangle).</summary>
    public sealed record Shape(Kind Kind, double Cx, double Cy, double A, double B, double Angle)
    {
        private readonly double _cos = Math.Cos(Angle), _sin = Math.Sin(Angle);
        // Triangle vertices on a circle of radius A at Angle + k * 120 degrees, relative to the centre.
        private readonly double[] _vx = [A * Math.Cos(Angle), A * Math.Cos(Angle + 2 * Math.PI / 3), A * Math.Cos(Angle + 4 * Math.PI / 3)];
        private readonly double[] _vy = [A * Math.Sin(Angle), A * Math.Sin(Angle + 2 * Math.PI / 3), A * Math.Sin(Angle + 4 * Math.PI / 3)];

        public bool Contains(double x, double y)
        {
            double dx = x - Cx, dy = y - Cy;
            switch (Kind)
            {
                case Kind.Circle:
                    return dx * dx + dy * dy <= A * A;
                case Kind.Rectangle:
                    return Math.Abs(dx) <= A && Math.Abs(dy) <= B;
                case Kind.Ellipse:
                {
                    double u = (dx * _cos + dy * _sin) / A, v = (-dx * _sin + dy * _cos) / B;
                    return u * u + v * v <= 1.0;
                }
                default:
                {
                    double d0 = Cross(_vx[0], _vy[0], _vx[1], _vy[1], dx, dy);
                    double d1 = Cross(_vx[1], _vy[1], _vx[2], _vy[2], dx, dy);
                    double d2 = Cross(_vx[2], _vy[2], _vx[0], _vy[0], dx, dy);
                    bool neg = d0 < 0 || d1 < 0 || d2 < 0, pos = d0 > 0 || d1 > 0 || d2 > 0;
                    return !(neg && pos);
                }
            }
        }

        /// <summary>Pixel bounding box (clipped to the image) that surely contains the shape.</summary>
        public (int X0, int Y0, int X1, int Y1) Bounds(int width, int height)
        {
            double r = Math.Max(A, B) + 1;
            return (Math.Max(0, (int)Math.Floor(Cx - r)), Math.Max(0, (int)Math.Floor(Cy - r)),
                    Math.Min(width, (int)Math.Ceiling(Cx + r)), Math.Min(height, (int)Math.Ceiling(Cy + r)));
        }

        private static double Cross(double ax, double ay, double bx, double by, double x, double y) =>
            (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    }

    /// <summary>Paints <paramref name="value"/> into <paramref name="map"/> wherever the shape covers a pixel centre (later shapes occlude earlier ones).</summary>
    public static void Fill(byte[] map, int width, int height, Shape shape, byte value)
    {
        var (x0, y0, x1, y1) = shape.Bounds(width, height);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (shape.Contains(x + 0.5, y + 0.5)) map[y * width + x] = value;
    }
}
