namespace StreamFx.Benchmarks.Plotting;

/// <summary>An RGB pixel buffer with the few drawing operations the charts need.</summary>
public sealed class Canvas
{
    private readonly byte[] _rgb;

    public Canvas(int width, int height, uint background = 0xFFFFFF)
    {
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }

    public void Set(int x, int y, uint color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int p = (y * Width + x) * 3;
        _rgb[p] = (byte)(color >> 16);
        _rgb[p + 1] = (byte)(color >> 8);
        _rgb[p + 2] = (byte)color;
    }

    public void FillRect(int x, int y, int w, int h, uint color)
    {
        for (int j = Math.Max(0, y); j < Math.Min(Height, y + h); j++)
            for (int i = Math.Max(0, x); i < Math.Min(Width, x + w); i++)
                Set(i, j, color);
    }

    /// <summary>A line <paramref name="thickness"/> pixels wide (Bresenham, squares along the path).</summary>
    public void Line(int x0, int y0, int x1, int y1, uint color, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            FillRect(x0 - thickness / 2, y0 - thickness / 2, thickness, thickness, color);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    public void Text(int x, int y, string text, uint color, int scale = 2)
    {
        for (int n = 0; n < text.Length; n++)
        {
            int gx = x + n * (PixelFont.Width + 1) * scale;
            for (int cy = 0; cy < PixelFont.Height; cy++)
                for (int cx = 0; cx < PixelFont.Width; cx++)
                    if (PixelFont.IsSet(text[n], cx, cy)) FillRect(gx + cx * scale, y + cy * scale, scale, scale, color);
        }
    }

    public void Save(string path) => PngEncoder.Write(path, Width, Height, _rgb);
}
