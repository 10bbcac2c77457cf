using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Tests;

public class ResamplerTests
{
    private static void Near(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"[{i}]: expected {expected[i]}, found {actual[i]}");
    }

    [Fact]
    public void SameSizeStretchMapsBytesToRangeAndBack()
    {
        var px = EffectTests.Frame(8, 8);
        var r = new FrameResampler(8, 8, 8, 8, FitMode.Stretch);
        var t = new float[3 * 64];
        r.ToTensor(px, 32, PixelLayout.Rgba, ImageRange.MinusOneToOne, t);
        // Pixel (3, 5): R = 3*255/7 = 109, G = 5*255/7 = 182 -> v/127.5 - 1
        Assert.Equal(109 / 127.5 - 1, t[5 * 8 + 3], 5);
        Assert.Equal(182 / 127.5 - 1, t[64 + 5 * 8 + 3], 5);
        var back = new byte[px.Length];
        r.FromTensor(t, ImageRange.MinusOneToOne, px, back, 32, PixelLayout.Rgba);
        Assert.Equal(px, back);
    }

    [Fact]
    public void BgraReadsChannelsInItsOrder()
    {
        byte[] px = [10, 20, 30, 255]; // B G R A
        var r = new FrameResampler(1, 1, 1, 1, FitMode.Stretch);
        var t = new float[3];
        r.ToTensor(px, 4, PixelLayout.Bgra, ImageRange.ZeroToOne, t);
        Near([30 / 255f, 20 / 255f, 10 / 255f], t);
    }

    [Fact]
    public void FitAddsBlackBarsAndDropsThemOnTheWayBack()
    {
        // 4x2 frame into a 4x4 square: scale 1, one black row above and below.
        var px = new byte[4 * 2 * 4];
        for (int i = 0; i < px.Length; i++) px[i] = 200;
        var r = new FrameResampler(4, 2, 4, 4, FitMode.Fit);
        var t = new float[3 * 16];
        r.ToTensor(px, 16, PixelLayout.Rgba, ImageRange.ZeroToOne, t);
        for (int x = 0; x < 4; x++)
        {
            Assert.Equal(0f, t[0 * 4 + x]);
            Assert.Equal(200 / 255f, t[1 * 4 + x], 5);
            Assert.Equal(200 / 255f, t[2 * 4 + x], 5);
            Assert.Equal(0f, t[3 * 4 + x]);
        }
        // A tensor of 0.5 everywhere comes back as 128 over the whole frame (the bars are outside it).
        var half = Enumerable.Repeat(0.5f, 48).ToArray();
        var back = new byte[px.Length];
        r.FromTensor(half, ImageRange.ZeroToOne, px, back, 16, PixelLayout.Rgba);
        for (int i = 0; i < back.Length; i += 4) Assert.Equal((128, 128, 128, 200), (back[i], back[i + 1], back[i + 2], back[i + 3]));
    }

    [Fact]
    public void CropTakesTheCentreAndPassesTheRestThrough()
    {
        // 8x4 frame into a 4x4 square: scale 1, columns 2..5 are used; columns 0,1,6,7 pass through.
        var px = new byte[8 * 4 * 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 8; x++) { int p = (y * 8 + x) * 4; px[p] = (byte)(x * 10); px[p + 3] = 255; }
        var r = new FrameResampler(8, 4, 4, 4, FitMode.Crop);
        var t = new float[48];
        r.ToTensor(px, 32, PixelLayout.Rgba, ImageRange.ZeroToOne, t);
        Near([20 / 255f, 30 / 255f, 40 / 255f, 50 / 255f], t.AsSpan(0, 4));
        var back = new byte[px.Length];
        r.FromTensor(Enumerable.Repeat(1f, 48).ToArray(), ImageRange.ZeroToOne, px, back, 32, PixelLayout.Rgba);
        for (int x = 0; x < 8; x++)
            Assert.Equal(x is >= 2 and <= 5 ? 255 : x * 10, back[x * 4]);
    }

    [Fact]
    public void DownscaleAveragesNeighbours()
    {
        // 2x1 -> 1x1 stretch: the sample sits between the two pixels.
        byte[] px = [0, 0, 0, 255, 100, 200, 50, 255];
        var r = new FrameResampler(2, 1, 1, 1, FitMode.Stretch);
        var t = new float[3];
        r.ToTensor(px, 8, PixelLayout.Rgba, ImageRange.ZeroToOne, t);
        Near([50 / 255f, 100 / 255f, 25 / 255f], t);
    }

    // Independent bilinear reference: destination pixel centre mapped to the source, clamped at the edges.
    private static double Sample(byte[] px, int w, int h, int rowBytes, double sx, double sy, int channel)
    {
        int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
        double fx = sx - x0, fy = sy - y0;
        double At(int x, int y) => px[Math.Clamp(y, 0, h - 1) * rowBytes + Math.Clamp(x, 0, w - 1) * 4 + channel];
        return (1 - fx) * (1 - fy) * At(x0, y0) + fx * (1 - fy) * At(x0 + 1, y0) + (1 - fx) * fy * At(x0, y0 + 1) + fx * fy * At(x0 + 1, y0 + 1);
    }

    [Theory]
    [InlineData(37, 23, 16, FitMode.Stretch, PixelLayout.Rgba, ImageRange.ZeroToOne)]
    [InlineData(37, 23, 16, FitMode.Crop, PixelLayout.Rgba, ImageRange.ZeroToOne)]
    [InlineData(20, 50, 32, FitMode.Crop, PixelLayout.Rgba, ImageRange.ZeroToOne)]   // upscaling: source rows shared by several model rows
    [InlineData(13, 29, 24, FitMode.Fit, PixelLayout.Rgba, ImageRange.ZeroToOne)]
    [InlineData(37, 23, 16, FitMode.Crop, PixelLayout.Bgra, ImageRange.MinusOneToOne)]
    [InlineData(29, 13, 24, FitMode.Fit, PixelLayout.Bgra, ImageRange.MinusOneToOne)] // bars are black: -1
    [InlineData(64, 48, 40, FitMode.Stretch, PixelLayout.Bgra, ImageRange.ZeroToOne)]
    public void ToTensorMatchesDirectBilinear(int w, int h, int m, FitMode fit, PixelLayout layout, ImageRange range)
    {
        int rowBytes = w * 4 + 8;
        var px = new byte[rowBytes * h];
        new Random(w * 1000 + h).NextBytes(px);
        var r = new FrameResampler(w, h, m, m, fit);
        var t = new float[3 * m * m];
        r.ToTensor(px, rowBytes, layout, range, t);
        double kx = (double)m / w, ky = (double)m / h;
        if (fit == FitMode.Crop) kx = ky = Math.Max(kx, ky);
        if (fit == FitMode.Fit) kx = ky = Math.Min(kx, ky);
        double ox = (m - w * kx) / 2, oy = (m - h * ky) / 2;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < m; y++)
                for (int x = 0; x < m; x++)
                {
                    double sx = (x + 0.5 - ox) / kx - 0.5, sy = (y + 0.5 - oy) / ky - 0.5;
                    bool inside = sx >= -0.5 - 1e-9 && sx <= w - 0.5 + 1e-9 && sy >= -0.5 - 1e-9 && sy <= h - 0.5 + 1e-9;
                    int channel = layout == PixelLayout.Bgra ? 2 - c : c;
                    double v = inside ? Sample(px, w, h, rowBytes, sx, sy, channel) : 0;
                    double expected = range == ImageRange.ZeroToOne ? v / 255 : v / 127.5 - 1;
                    Assert.True(Math.Abs(expected - t[c * m * m + y * m + x]) < 1e-4, $"c{c} ({x},{y}): expected {expected}, found {t[c * m * m + y * m + x]}");
                }
    }
}
