using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Tests;

/// <summary>
/// The same-size fast path of <see cref="FrameResampler"/> (SIMD deinterleave/interleave) against plain
/// scalar references written here, and the general path of FromTensor against a direct bilinear reference.
/// Widths like 37 leave a tail after the 8- and 4-pixel vector loops.
/// </summary>
public class PixelConversionTests
{
    private static int Channel(PixelLayout layout, int c) => layout == PixelLayout.Bgra ? 2 - c : c;

    private static double Expected(byte v, ImageRange range) => range == ImageRange.ZeroToOne ? v / 255.0 : v / 127.5 - 1;

    // The documented post-processing rule: to 0..255, NaN to 0, clamp, round half up by +0.5 and truncation.
    private static byte Quantize(float t, ImageRange range)
    {
        float s = range == ImageRange.ZeroToOne ? t * 255f : (t + 1f) * 127.5f;
        if (float.IsNaN(s)) s = 0;
        s = Math.Clamp(s, 0f, 255f);
        return (byte)(int)(s + 0.5f);
    }

    private static byte[] RandomFrame(int w, int h, int rowBytes, int seed)
    {
        var px = new byte[rowBytes * (h - 1) + w * 4];
        new Random(seed).NextBytes(px);
        return px;
    }

    public static TheoryData<int, int, int, PixelLayout, ImageRange> Shapes()
    {
        var data = new TheoryData<int, int, int, PixelLayout, ImageRange>();
        foreach (var layout in new[] { PixelLayout.Rgba, PixelLayout.Bgra })
            foreach (var range in new[] { ImageRange.ZeroToOne, ImageRange.MinusOneToOne })
            {
                data.Add(37, 5, 37 * 4, layout, range);      // odd width, tight rows
                data.Add(37, 5, 37 * 4 + 12, layout, range); // odd width, padded rows
                data.Add(64, 3, 64 * 4 + 4, layout, range);  // whole vectors only
                data.Add(3, 2, 16, layout, range);           // narrower than any vector
                data.Add(1, 1, 4, layout, range);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SameSizeToTensorMatchesScalarReference(int w, int h, int rowBytes, PixelLayout layout, ImageRange range)
    {
        var px = RandomFrame(w, h, rowBytes, w * 31 + h);
        var r = new FrameResampler(w, h, w, h, FitMode.Crop);
        Assert.True(r.IsIdentity);
        var t = new float[3 * w * h];
        t.AsSpan().Fill(float.NaN);
        r.ToTensor(px, rowBytes, layout, range, t);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double e = Expected(px[y * rowBytes + x * 4 + Channel(layout, c)], range);
                    float a = t[c * w * h + y * w + x];
                    Assert.True(Math.Abs(a - e) <= 1e-6 * Math.Abs(e), $"c{c} ({x},{y}): expected {e}, found {a}");
                }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SameSizeFromTensorMatchesScalarReferenceExactly(int w, int h, int rowBytes, PixelLayout layout, ImageRange range)
    {
        var input = RandomFrame(w, h, rowBytes, w * 17 + h);
        var rng = new Random(w + 7 * h);
        var t = new float[3 * w * h];
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1f, -1f, 0.5f, 2f, -2f, 1.5f / 255f, 0.5f / 127.5f - 1f];
        for (int i = 0; i < t.Length; i++)
            t[i] = i % 5 == 0 ? special[(i / 5) % special.Length] : (float)(rng.NextDouble() * 2.6 - 1.3);
        var r = new FrameResampler(w, h, w, h, FitMode.Fit);
        Assert.True(r.IsIdentity);
        var output = new byte[input.Length];
        output.AsSpan().Fill(0xCD);
        r.FromTensor(t, range, input, output, rowBytes, layout);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = y * rowBytes + x * 4;
                for (int c = 0; c < 3; c++)
                    Assert.True(Quantize(t[c * w * h + y * w + x], range) == output[p + Channel(layout, c)],
                        $"c{c} ({x},{y}) from {t[c * w * h + y * w + x]}: expected {Quantize(t[c * w * h + y * w + x], range)}, found {output[p + Channel(layout, c)]}");
                Assert.Equal(input[p + 3], output[p + 3]);
            }
            // Row padding is not part of the frame and stays untouched.
            for (int b = y * rowBytes + w * 4; b < Math.Min((y + 1) * rowBytes, output.Length); b++) Assert.Equal(0xCD, output[b]);
        }
    }

    [Fact]
    public void SameSizeFromTensorMayWriteOverItsInput()
    {
        int w = 37, h = 5, rowBytes = w * 4 + 8;
        var input = RandomFrame(w, h, rowBytes, 5);
        var t = new float[3 * w * h];
        for (int i = 0; i < t.Length; i++) t[i] = (i % 97) / 96f;
        var r = new FrameResampler(w, h, w, h, FitMode.Stretch);
        var separate = new byte[input.Length];
        r.FromTensor(t, ImageRange.ZeroToOne, input, separate, rowBytes, PixelLayout.Bgra);
        var inPlace = (byte[])input.Clone();
        r.FromTensor(t, ImageRange.ZeroToOne, inPlace, inPlace, rowBytes, PixelLayout.Bgra);
        for (int y = 0; y < h; y++)
            Assert.Equal(separate.AsSpan(y * rowBytes, w * 4).ToArray(), inPlace.AsSpan(y * rowBytes, w * 4).ToArray());
    }

    [Theory]
    [InlineData(FitMode.Crop)]
    [InlineData(FitMode.Fit)]
    [InlineData(FitMode.Stretch)]
    public void SameSizeIsTheIdentityForEveryFitAndOnlyThen(FitMode fit)
    {
        Assert.True(new FrameResampler(512, 512, 512, 512, fit).IsIdentity);
        Assert.True(new FrameResampler(37, 5, 37, 5, fit).IsIdentity);
        Assert.False(new FrameResampler(37, 5, 36, 5, fit).IsIdentity);
        Assert.False(new FrameResampler(640, 360, 512, 512, fit).IsIdentity);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SameSizeRoundTripGivesTheFrameBack(int w, int h, int rowBytes, PixelLayout layout, ImageRange range)
    {
        var px = RandomFrame(w, h, rowBytes, w + h);
        var r = new FrameResampler(w, h, w, h, FitMode.Crop);
        var t = new float[3 * w * h];
        r.ToTensor(px, rowBytes, layout, range, t);
        var back = (byte[])px.Clone();
        Array.Clear(back);
        r.FromTensor(t, range, px, back, rowBytes, layout);
        for (int y = 0; y < h; y++)
            Assert.Equal(px.AsSpan(y * rowBytes, w * 4).ToArray(), back.AsSpan(y * rowBytes, w * 4).ToArray());
    }

    // Bilinear sample of one clamped model channel at (sx, sy), edges clamped.
    private static double ModelSample(float[] t, int m, int c, ImageRange range, double sx, double sy)
    {
        double At(int x, int y)
        {
            double v = t[c * m * m + Math.Clamp(y, 0, m - 1) * m + Math.Clamp(x, 0, m - 1)];
            v = range == ImageRange.ZeroToOne ? v * 255 : (v + 1) * 127.5;
            return double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 255);
        }
        int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
        double fx = sx - x0, fy = sy - y0;
        return (1 - fx) * (1 - fy) * At(x0, y0) + fx * (1 - fy) * At(x0 + 1, y0) + (1 - fx) * fy * At(x0, y0 + 1) + fx * fy * At(x0 + 1, y0 + 1);
    }

    [Theory]
    [InlineData(37, 23, 16, FitMode.Stretch, PixelLayout.Rgba, ImageRange.ZeroToOne)]
    [InlineData(37, 23, 16, FitMode.Crop, PixelLayout.Bgra, ImageRange.MinusOneToOne)]
    [InlineData(23, 37, 16, FitMode.Crop, PixelLayout.Rgba, ImageRange.MinusOneToOne)]
    [InlineData(13, 29, 24, FitMode.Fit, PixelLayout.Bgra, ImageRange.ZeroToOne)]
    [InlineData(50, 9, 12, FitMode.Fit, PixelLayout.Rgba, ImageRange.MinusOneToOne)]
    public void FromTensorMatchesDirectBilinear(int w, int h, int m, FitMode fit, PixelLayout layout, ImageRange range)
    {
        int rowBytes = w * 4 + 12;
        var input = RandomFrame(w, h, rowBytes, w * 3 + h);
        var rng = new Random(m);
        var t = new float[3 * m * m];
        // A NaN from the decoder counts as 0 and does not spread beyond its own bilinear neighbourhood.
        for (int i = 0; i < t.Length; i++) t[i] = i % 11 == 3 ? float.NaN : (float)(rng.NextDouble() * 2.4 - 1.2);
        var r = new FrameResampler(w, h, m, m, fit);
        Assert.False(r.IsIdentity);
        var output = new byte[input.Length];
        r.FromTensor(t, range, input, output, rowBytes, layout);
        double kx = (double)m / w, ky = (double)m / h;
        if (fit == FitMode.Crop) kx = ky = Math.Max(kx, ky);
        if (fit == FitMode.Fit) kx = ky = Math.Min(kx, ky);
        double ox = (m - w * kx) / 2, oy = (m - h * ky) / 2;
        int passed = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * rowBytes + x * 4;
                // Frame pixel centre in model coordinates.
                double sx = (x + 0.5) * kx + ox - 0.5, sy = (y + 0.5) * ky + oy - 0.5;
                bool inside = sx >= -0.5 - 1e-9 && sx <= m - 0.5 + 1e-9 && sy >= -0.5 - 1e-9 && sy <= m - 0.5 + 1e-9;
                Assert.Equal(input[p + 3], output[p + 3]);
                if (!inside)
                {
                    Assert.Equal(input.AsSpan(p, 4).ToArray(), output.AsSpan(p, 4).ToArray());
                    passed++;
                    continue;
                }
                for (int c = 0; c < 3; c++)
                {
                    // The value before rounding; a result one off is accepted only right at a .5 boundary.
                    double v = ModelSample(t, m, c, range, sx, sy) + 0.5;
                    int found = output[p + Channel(layout, c)];
                    bool ok = found == (int)Math.Floor(v) || Math.Abs(v - Math.Round(v)) < 1e-3 && Math.Abs(found - v) < 1;
                    Assert.True(ok, $"c{c} ({x},{y}): expected {v - 0.5:F4} rounded, found {found}");
                }
            }
        if (fit == FitMode.Crop) Assert.True(passed > 0, "a crop of another aspect must leave pixels passed through");
    }

    [Theory]
    [InlineData(37, 5, 37, 5, FitMode.Crop)]       // same size: the SIMD fast path
    [InlineData(64, 48, 32, 32, FitMode.Crop)]     // downscale with passed-through columns
    [InlineData(20, 50, 32, 32, FitMode.Fit)]      // upscale with bars
    public void NoAllocationPerFrameAfterTheFirst(int w, int h, int mw, int mh, FitMode fit)
    {
        int rowBytes = w * 4 + 4;
        var px = RandomFrame(w, h, rowBytes, 1);
        var output = new byte[px.Length];
        var t = new float[3 * mw * mh];
        var r = new FrameResampler(w, h, mw, mh, fit);
        r.ToTensor(px, rowBytes, PixelLayout.Bgra, ImageRange.MinusOneToOne, t);
        r.FromTensor(t, ImageRange.MinusOneToOne, px, output, rowBytes, PixelLayout.Bgra);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            r.ToTensor(px, rowBytes, i % 2 == 0 ? PixelLayout.Bgra : PixelLayout.Rgba, i % 3 == 0 ? ImageRange.ZeroToOne : ImageRange.MinusOneToOne, t);
            r.FromTensor(t, ImageRange.MinusOneToOne, px, output, rowBytes, PixelLayout.Bgra);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
