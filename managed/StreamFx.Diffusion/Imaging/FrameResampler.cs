using System.Numerics.Tensors;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Moves a frame between the shared-memory pixels (RGBA/BGRA bytes, any size) and the model's planar
/// RGB float tensor (square, in the autoencoder's range), both ways, with the same crop/fit/stretch
/// geometry. Sampling tables and scratch planes are built once per size; nothing is allocated per frame.
/// Scaling and range conversion run through TensorPrimitives (SIMD); resampling is bilinear.
/// </summary>
public sealed class FrameResampler
{
    private readonly AxisMap _inX, _inY, _outX, _outY;
    private readonly float[] _scratch;

    public FrameResampler(int frameWidth, int frameHeight, int modelWidth, int modelHeight, FitMode fit)
    {
        if (frameWidth < 1 || frameHeight < 1) throw new ArgumentOutOfRangeException(nameof(frameWidth), $"frame size must be positive, found {frameWidth}x{frameHeight}");
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        ModelWidth = modelWidth;
        ModelHeight = modelHeight;
        Fit = fit;
        double kx = (double)modelWidth / frameWidth, ky = (double)modelHeight / frameHeight;
        if (fit == FitMode.Crop) kx = ky = Math.Max(kx, ky);
        else if (fit == FitMode.Fit) kx = ky = Math.Min(kx, ky);
        // Offsets of the frame's scaled image inside the model square (negative when cropped).
        double cx = (modelWidth - frameWidth * kx) / 2, cy = (modelHeight - frameHeight * ky) / 2;
        _inX = new AxisMap(modelWidth, frameWidth, kx, cx);
        _inY = new AxisMap(modelHeight, frameHeight, ky, cy);
        _outX = new AxisMap(frameWidth, modelWidth, 1 / kx, -cx / kx);
        _outY = new AxisMap(frameHeight, modelHeight, 1 / ky, -cy / ky);
        _scratch = new float[3 * modelWidth * modelHeight];
    }

    public int FrameWidth { get; }
    public int FrameHeight { get; }
    public int ModelWidth { get; }
    public int ModelHeight { get; }
    public FitMode Fit { get; }

    private static (int R, int G, int B) Offsets(PixelLayout layout) => layout == PixelLayout.Bgra ? (2, 1, 0) : (0, 1, 2);

    /// <summary>Frame bytes to a planar [3, H, W] tensor in <paramref name="range"/>; fit bars are black.</summary>
    public void ToTensor(ReadOnlySpan<byte> pixels, int rowBytes, PixelLayout layout, ImageRange range, Span<float> planar)
    {
        CheckFrame(pixels.Length, rowBytes);
        int plane = ModelWidth * ModelHeight;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        var (ro, go, bo) = Offsets(layout);
        Span<float> r = planar[..plane], g = planar.Slice(plane, plane), b = planar.Slice(2 * plane, plane);
        int[] x0 = _inX.I0, x1 = _inX.I1;
        float[] wx = _inX.W;
        bool[] vx = _inX.Valid;
        for (int y = 0; y < ModelHeight; y++)
        {
            int row = y * ModelWidth;
            if (!_inY.Valid[y])
            {
                r.Slice(row, ModelWidth).Clear(); g.Slice(row, ModelWidth).Clear(); b.Slice(row, ModelWidth).Clear();
                continue;
            }
            ReadOnlySpan<byte> top = pixels.Slice(_inY.I0[y] * rowBytes, FrameWidth * 4);
            ReadOnlySpan<byte> bottom = pixels.Slice(_inY.I1[y] * rowBytes, FrameWidth * 4);
            float wy = _inY.W[y], wy0 = 1 - wy;
            for (int x = 0; x < ModelWidth; x++)
            {
                if (!vx[x]) { r[row + x] = 0; g[row + x] = 0; b[row + x] = 0; continue; }
                int a = x0[x] * 4, c = x1[x] * 4;
                float w1 = wx[x], w0 = 1 - w1;
                float t00 = w0 * wy0, t01 = w1 * wy0, t10 = w0 * wy, t11 = w1 * wy;
                r[row + x] = t00 * top[a + ro] + t01 * top[c + ro] + t10 * bottom[a + ro] + t11 * bottom[c + ro];
                g[row + x] = t00 * top[a + go] + t01 * top[c + go] + t10 * bottom[a + go] + t11 * bottom[c + go];
                b[row + x] = t00 * top[a + bo] + t01 * top[c + bo] + t10 * bottom[a + bo] + t11 * bottom[c + bo];
            }
        }
        // 0..255 to the model range, vectorised over the whole tensor.
        if (range == ImageRange.ZeroToOne) TensorPrimitives.Multiply(planar, 1f / 255f, planar);
        else
        {
            TensorPrimitives.Multiply(planar, 2f / 255f, planar);
            TensorPrimitives.Add(planar, -1f, planar);
        }
    }

    /// <summary>
    /// A planar [3, H, W] tensor in <paramref name="range"/> back to frame bytes (clamped, rounded); alpha
    /// and the pixels outside a crop come from <paramref name="input"/>.
    /// </summary>
    public void FromTensor(ReadOnlySpan<float> planar, ImageRange range, ReadOnlySpan<byte> input, Span<byte> output, int rowBytes, PixelLayout layout)
    {
        CheckFrame(input.Length, rowBytes);
        CheckFrame(output.Length, rowBytes);
        int plane = ModelWidth * ModelHeight;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        Span<float> s = _scratch;
        if (range == ImageRange.ZeroToOne) TensorPrimitives.Multiply(planar, 255f, s);
        else
        {
            TensorPrimitives.Add(planar, 1f, s);
            TensorPrimitives.Multiply(s, 127.5f, s);
        }
        TensorPrimitives.Max(s, 0f, s);
        TensorPrimitives.Min(s, 255f, s);
        var (ro, go, bo) = Offsets(layout);
        ReadOnlySpan<float> r = s[..plane], g = s.Slice(plane, plane), b = s.Slice(2 * plane, plane);
        int[] x0 = _outX.I0, x1 = _outX.I1;
        float[] wx = _outX.W;
        bool[] vx = _outX.Valid;
        for (int y = 0; y < FrameHeight; y++)
        {
            ReadOnlySpan<byte> inRow = input.Slice(y * rowBytes, FrameWidth * 4);
            Span<byte> outRow = output.Slice(y * rowBytes, FrameWidth * 4);
            if (!_outY.Valid[y]) { inRow.CopyTo(outRow); continue; }
            int top = _outY.I0[y] * ModelWidth, bottom = _outY.I1[y] * ModelWidth;
            float wy = _outY.W[y], wy0 = 1 - wy;
            for (int x = 0; x < FrameWidth; x++)
            {
                int p = x * 4;
                if (!vx[x])
                {
                    outRow[p] = inRow[p]; outRow[p + 1] = inRow[p + 1]; outRow[p + 2] = inRow[p + 2]; outRow[p + 3] = inRow[p + 3];
                    continue;
                }
                int a = x0[x], c = x1[x];
                float w1 = wx[x], w0 = 1 - w1;
                float t00 = w0 * wy0, t01 = w1 * wy0, t10 = w0 * wy, t11 = w1 * wy;
                outRow[p + ro] = (byte)(t00 * r[top + a] + t01 * r[top + c] + t10 * r[bottom + a] + t11 * r[bottom + c] + 0.5f);
                outRow[p + go] = (byte)(t00 * g[top + a] + t01 * g[top + c] + t10 * g[bottom + a] + t11 * g[bottom + c] + 0.5f);
                outRow[p + bo] = (byte)(t00 * b[top + a] + t01 * b[top + c] + t10 * b[bottom + a] + t11 * b[bottom + c] + 0.5f);
                outRow[p + 3] = inRow[p + 3];
            }
        }
    }

    private void CheckFrame(int length, int rowBytes)
    {
        if (rowBytes < FrameWidth * 4) throw new ArgumentException($"row bytes must be at least {FrameWidth * 4} for width {FrameWidth}, found {rowBytes}");
        long need = (long)rowBytes * (FrameHeight - 1) + FrameWidth * 4;
        if (length < need) throw new ArgumentException($"a {FrameWidth}x{FrameHeight} frame with {rowBytes} row bytes needs {need} bytes, found {length}");
    }
}
