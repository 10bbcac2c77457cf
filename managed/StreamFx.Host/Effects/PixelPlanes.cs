using System.Numerics;
using System.Runtime.InteropServices;
using StreamFx.Bridge;

namespace StreamFx.Host.Effects;

/// <summary>
/// Converts interleaved 8-bit RGBA/BGRA rows to planar float RGB in [0,1] (the NCHW tensor layout
/// image models take) and back. Vectorised with System.Numerics.Vector over whole pixels read as
/// little-endian u32 (byte 0 = bits 0-7), scalar for the tail of each row.
/// </summary>
public static class PixelPlanes
{
    private const float ToUnit = 1f / 255f;

    /// <summary>Writes 3 planes of width*height floats (R, G, B) into <paramref name="planes"/>.</summary>
    public static void ToPlanar(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PixelFormat format, Span<float> planes)
    {
        int planeSize = width * height;
        Span<float> red = planes.Slice(0, planeSize);
        Span<float> green = planes.Slice(planeSize, planeSize);
        Span<float> blue = planes.Slice(2 * planeSize, planeSize);
        (int redShift, int blueShift) = Shifts(format);
        var mask = new Vector<uint>(0xFF);
        var scale = new Vector<float>(ToUnit);
        int lanes = Vector<uint>.Count;

        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<uint> row = MemoryMarshal.Cast<byte, uint>(pixels.Slice(y * rowBytes, width * 4));
            int offset = y * width;
            int x = 0;
            for (; x <= width - lanes; x += lanes)
            {
                var packed = new Vector<uint>(row.Slice(x));
                Channel(packed, redShift, mask, scale).CopyTo(red.Slice(offset + x));
                Channel(packed, 8, mask, scale).CopyTo(green.Slice(offset + x));
                Channel(packed, blueShift, mask, scale).CopyTo(blue.Slice(offset + x));
            }

            for (; x < width; x++)
            {
                uint p = row[x];
                red[offset + x] = ((p >> redShift) & 0xFF) * ToUnit;
                green[offset + x] = ((p >> 8) & 0xFF) * ToUnit;
                blue[offset + x] = ((p >> blueShift) & 0xFF) * ToUnit;
            }
        }
    }

    /// <summary>
    /// Writes planar float RGB (clamped to [0,1], rounded) back as interleaved pixels, taking each
    /// pixel's alpha from <paramref name="alphaSource"/> (the input frame, same layout).
    /// </summary>
    public static void FromPlanar(ReadOnlySpan<float> planes, ReadOnlySpan<byte> alphaSource, int width, int height, int rowBytes, PixelFormat format, Span<byte> pixels)
    {
        int planeSize = width * height;
        ReadOnlySpan<float> red = planes.Slice(0, planeSize);
        ReadOnlySpan<float> green = planes.Slice(planeSize, planeSize);
        ReadOnlySpan<float> blue = planes.Slice(2 * planeSize, planeSize);
        (int redShift, int blueShift) = Shifts(format);
        var alphaMask = new Vector<uint>(0xFF000000);
        int lanes = Vector<uint>.Count;

        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<uint> alphaRow = MemoryMarshal.Cast<byte, uint>(alphaSource.Slice(y * rowBytes, width * 4));
            Span<uint> row = MemoryMarshal.Cast<byte, uint>(pixels.Slice(y * rowBytes, width * 4));
            int offset = y * width;
            int x = 0;
            for (; x <= width - lanes; x += lanes)
            {
                Vector<uint> packed = Vector.ShiftLeft(ToByte(new Vector<float>(red.Slice(offset + x))), redShift)
                    | Vector.ShiftLeft(ToByte(new Vector<float>(green.Slice(offset + x))), 8)
                    | Vector.ShiftLeft(ToByte(new Vector<float>(blue.Slice(offset + x))), blueShift)
                    | (new Vector<uint>(alphaRow.Slice(x)) & alphaMask);
                packed.CopyTo(row.Slice(x));
            }

            for (; x < width; x++)
            {
                row[x] = (ToByte(red[offset + x]) << redShift)
                    | (ToByte(green[offset + x]) << 8)
                    | (ToByte(blue[offset + x]) << blueShift)
                    | (alphaRow[x] & 0xFF000000);
            }
        }
    }

    private static (int RedShift, int BlueShift) Shifts(PixelFormat format) => format switch
    {
        PixelFormat.Rgba8 => (0, 16),
        PixelFormat.Bgra8 => (16, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "expected RGBA8 or BGRA8"),
    };

    private static Vector<float> Channel(Vector<uint> packed, int shift, Vector<uint> mask, Vector<float> scale) =>
        Vector.ConvertToSingle(Vector.AsVectorInt32(Vector.ShiftRightLogical(packed, shift) & mask)) * scale;

    private static Vector<uint> ToByte(Vector<float> unit)
    {
        Vector<float> clamped = Vector.Min(Vector.Max(unit, Vector<float>.Zero), Vector<float>.One);
        Vector<uint> value = Vector.AsVectorUInt32(Vector.ConvertToInt32(clamped * new Vector<float>(255f) + new Vector<float>(0.5f)));

        // A NaN from the model may survive Min/Max (platform-dependent); the mask keeps it inside its own channel.
        return value & new Vector<uint>(0xFF);
    }

    private static uint ToByte(float unit)
    {
        float clamped = float.IsNaN(unit) ? 0f : Math.Clamp(unit, 0f, 1f);
        return (uint)(clamped * 255f + 0.5f);
    }
}
