using StreamFx.Diffusion.Imaging;
using StreamFx.Host.Effects;

namespace StreamFx.Bridge.Tests;

public sealed class PixelPlanesTests
{
    // Widths around the vector width (4/8/16 lanes) exercise both the vector body and the scalar tail.
    [Theory]
    [InlineData(1, 1, 0, PixelFormat.Rgba8)]
    [InlineData(7, 3, 0, PixelFormat.Rgba8)]
    [InlineData(17, 5, 12, PixelFormat.Bgra8)]
    [InlineData(64, 4, 0, PixelFormat.Bgra8)]
    [InlineData(33, 9, 64, PixelFormat.Rgba8)]
    public void PlanarMatchesTheScalarDefinitionAndRoundTrips(int width, int height, int padding, PixelFormat format)
    {
        int rowBytes = width * 4 + padding;
        var random = new Random(width * 1000 + height);
        byte[] pixels = new byte[rowBytes * height];
        random.NextBytes(pixels);

        float[] planes = new float[3 * width * height];
        PixelPlanes.ToPlanar(pixels, width, height, rowBytes, DiffusionFrameEffect.ToLayout(format), planes);

        int plane = width * height;
        (int r, int b) = format == PixelFormat.Rgba8 ? (0, 2) : (2, 0);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = y * rowBytes + x * 4;
                int i = y * width + x;
                Assert.Equal(pixels[p + r] / 255f, planes[i], 1e-6f);
                Assert.Equal(pixels[p + 1] / 255f, planes[plane + i], 1e-6f);
                Assert.Equal(pixels[p + b] / 255f, planes[2 * plane + i], 1e-6f);
            }
        }

        byte[] back = new byte[pixels.Length];
        PixelPlanes.FromPlanar(planes, pixels, width, height, rowBytes, DiffusionFrameEffect.ToLayout(format), back);
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(pixels.AsSpan(y * rowBytes, width * 4).ToArray(), back.AsSpan(y * rowBytes, width * 4).ToArray());
        }
    }

    [Fact]
    public void OutOfRangeAndNaNValuesAreClampedWithinTheirChannel()
    {
        const int width = 19; // vector body and tail
        float[] planes = new float[3 * width];
        for (int x = 0; x < width; x++)
        {
            planes[x] = x % 3 == 0 ? float.NaN : -5f;       // red
            planes[width + x] = 7f;                            // green
            planes[2 * width + x] = x % 2 == 0 ? 0.5f : float.PositiveInfinity; // blue
        }

        byte[] alpha = new byte[width * 4];
        alpha.AsSpan().Fill(0x11);
        byte[] output = new byte[width * 4];
        PixelPlanes.FromPlanar(planes, alpha, width, 1, width * 4, PixelLayout.Rgba, output);
        for (int x = 0; x < width; x++)
        {
            Assert.True(output[x * 4] is 0 or 255, $"red {output[x * 4]} at {x}");
            Assert.Equal(255, output[x * 4 + 1]);
            Assert.Equal(x % 2 == 0 ? 128 : 255, output[x * 4 + 2]);
            Assert.Equal(0x11, output[x * 4 + 3]);
        }
    }
}
