namespace StreamFx.Diffusion.Imaging;

// Whole frames between 4-byte pixels and planar float RGB in [0,1], on the ChannelPlanes row kernels.

/// <summary>
/// Converts interleaved 8-bit RGBA/BGRA frames to planar float RGB in [0,1] (the NCHW layout image
/// models take, at the frame's own size) and back. The one pixel converter: these are the row kernels
/// <see cref="FrameResampler"/> runs too, with the layout handled by which plane takes which byte.
/// </summary>
public static unsafe class PixelPlanes
{
    private const float ToUnit = 1f / 255f;

    /// <summary>Writes 3 planes of width*height floats (R, G, B) into <paramref name="planes"/>.</summary>
    public static void ToPlanar(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PixelLayout layout, Span<float> planes)
    {
        int planeSize = CheckSizes(pixels.Length, width, height, rowBytes, planes.Length);
        fixed (byte* src = pixels)
        fixed (float* first = planes)
        {
            ByBytePosition(first, planeSize, layout, out float* c0, out float* c1, out float* c2);
            for (int y = 0, offset = 0; y < height; y++, offset += width)
                ChannelPlanes.Split(src + (long)y * rowBytes, width, c0 + offset, c1 + offset, c2 + offset, 0f, ToUnit);
        }
    }

    /// <summary>
    /// Writes planar float RGB (clamped to [0,1], rounded half up, NaN as 0) back as interleaved pixels,
    /// taking each pixel's alpha from <paramref name="alphaSource"/> (the input frame, same layout).
    /// </summary>
    public static void FromPlanar(ReadOnlySpan<float> planes, ReadOnlySpan<byte> alphaSource, int width, int height, int rowBytes, PixelLayout layout, Span<byte> pixels)
    {
        int planeSize = CheckSizes(Math.Min(pixels.Length, alphaSource.Length), width, height, rowBytes, planes.Length);
        fixed (float* first = planes)
        fixed (byte* alpha = alphaSource, dst = pixels)
        {
            ByBytePosition(first, planeSize, layout, out float* c0, out float* c1, out float* c2);
            for (long y = 0, offset = 0; y < height; y++, offset += width)
                ChannelPlanes.Merge(c0 + offset, c1 + offset, c2 + offset, width, alpha + y * rowBytes, dst + y * rowBytes, 0f, 255f);
        }
    }

    // The R, G, B planes by the pixel byte each takes: byte 0 is red in RGBA and blue in BGRA, byte 2 the other.
    private static void ByBytePosition(float* planes, int planeSize, PixelLayout layout, out float* c0, out float* c1, out float* c2)
    {
        float* red = planes, blue = planes + 2 * planeSize;
        c0 = layout == PixelLayout.Rgba ? red : blue;
        c1 = planes + planeSize;
        c2 = layout == PixelLayout.Rgba ? blue : red;
    }

    // The kernels take pointers: every length is checked here, as span slicing would.
    private static int CheckSizes(int frameBytes, int width, int height, int rowBytes, int planeFloats)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"frame size must be positive, found {width}x{height}");
        if (rowBytes < width * 4) throw new ArgumentOutOfRangeException(nameof(rowBytes), rowBytes, $"row bytes must be at least {width * 4}");
        long need = (long)rowBytes * (height - 1) + width * 4;
        if (frameBytes < need) throw new ArgumentException($"a {width}x{height} frame with {rowBytes} row bytes needs {need} bytes, found {frameBytes}");
        long planeSize = (long)width * height;
        if (planeFloats < 3 * planeSize) throw new ArgumentException($"3 planes of {width}x{height} need {3 * planeSize} floats, found {planeFloats}");
        return (int)planeSize;
    }
}
