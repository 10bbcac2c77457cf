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
    public unsafe void ToTensor(ReadOnlySpan<byte> pixels, int rowBytes, PixelLayout layout, ImageRange range, Span<float> planar)
    {
        CheckFrame(pixels.Length, rowBytes);
        int plane = ModelWidth * ModelHeight, mw = ModelWidth;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        var (ro, go, bo) = Offsets(layout);
        // Separable: each needed source row is resampled horizontally once (kept for the next model row),
        // then two such rows are blended vertically with SIMD.
        _rowIndex[0] = _rowIndex[1] = -1;
        fixed (byte* src = pixels)
        {
            for (int y = 0; y < ModelHeight; y++)
            {
                int row = y * mw;
                if (!_inY.Valid[y])
                {
                    planar.Slice(row, mw).Clear(); planar.Slice(plane + row, mw).Clear(); planar.Slice(2 * plane + row, mw).Clear();
                    continue;
                }
                Span<float> top = HorizontalRow(src, rowBytes, _inY.I0[y], -1, ro, go, bo);
                Span<float> bottom = HorizontalRow(src, rowBytes, _inY.I1[y], _inY.I0[y], ro, go, bo);
                float wy = _inY.W[y];
                for (int c = 0; c < 3; c++)
                {
                    Span<float> dst = planar.Slice(c * plane + row, mw);
                    TensorPrimitives.Multiply(top.Slice(c * mw, mw), 1 - wy, dst);
                    if (wy != 0) TensorPrimitives.MultiplyAdd(bottom.Slice(c * mw, mw), wy, dst, dst);
                }
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

    private readonly float[][] _rows = [[], []];
    private readonly int[] _rowIndex = [-1, -1];

    // Horizontally resampled source row (3 planes of ModelWidth). Two rows are kept so consecutive model
    // rows that share a source row do not resample it again; the row <paramref name="keep"/> is never evicted.
    private unsafe Span<float> HorizontalRow(byte* src, int rowBytes, int sourceRow, int keep, int ro, int go, int bo)
    {
        int mw = ModelWidth;
        if (_rows[0].Length != 3 * mw) { _rows[0] = new float[3 * mw]; _rows[1] = new float[3 * mw]; _rowIndex[0] = _rowIndex[1] = -1; }
        if (_rowIndex[0] == sourceRow) return _rows[0];
        if (_rowIndex[1] == sourceRow) return _rows[1];
        int victim = _rowIndex[0] == keep ? 1 : 0;
        _rowIndex[victim] = sourceRow;
        byte* line = src + (long)sourceRow * rowBytes;
        fixed (float* dst = _rows[victim])
        fixed (int* x0 = _inX.I0, x1 = _inX.I1)
        fixed (float* wx = _inX.W)
        fixed (bool* valid = _inX.Valid)
        {
            float* r = dst, g = dst + mw, b = dst + 2 * mw;
            for (int x = 0; x < mw; x++)
            {
                if (!valid[x]) { r[x] = 0; g[x] = 0; b[x] = 0; continue; }
                byte* p0 = line + x0[x] * 4, p1 = line + x1[x] * 4;
                float w1 = wx[x], w0 = 1 - w1;
                r[x] = w0 * p0[ro] + w1 * p1[ro];
                g[x] = w0 * p0[go] + w1 * p1[go];
                b[x] = w0 * p0[bo] + w1 * p1[bo];
            }
        }
        return _rows[victim];
    }

    /// <summary>
    /// A planar [3, H, W] tensor in <paramref name="range"/> back to frame bytes (clamped, rounded); alpha
    /// and the pixels outside a crop come from <paramref name="input"/>.
    /// </summary>
    public unsafe void FromTensor(ReadOnlySpan<float> planar, ImageRange range, ReadOnlySpan<byte> input, Span<byte> output, int rowBytes, PixelLayout layout)
    {
        CheckFrame(input.Length, rowBytes);
        CheckFrame(output.Length, rowBytes);
        int plane = ModelWidth * ModelHeight, mw = ModelWidth;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        Span<float> s = _scratch;
        // To 0..255 plus 0.5 (so truncation rounds), clamped: vectorised over the whole tensor.
        if (range == ImageRange.ZeroToOne) TensorPrimitives.Multiply(planar, 255f, s);
        else
        {
            TensorPrimitives.Add(planar, 1f, s);
            TensorPrimitives.Multiply(s, 127.5f, s);
        }
        TensorPrimitives.Max(s, 0f, s);
        TensorPrimitives.Min(s, 255f, s);
        TensorPrimitives.Add(s, 0.5f, s);
        var (ro, go, bo) = Offsets(layout);
        Span<float> blended = _blendRow.Length == 3 * mw ? _blendRow : (_blendRow = new float[3 * mw]);
        int lastTop = -1, lastBottom = -1;
        float lastW = -1;
        fixed (byte* inBase = input, outBase = output)
        fixed (float* rowPtr = _blendRow)
        fixed (int* x0 = _outX.I0, x1 = _outX.I1)
        fixed (float* wx = _outX.W)
        fixed (bool* valid = _outX.Valid)
        {
            for (int y = 0; y < FrameHeight; y++)
            {
                byte* inRow = inBase + (long)y * rowBytes;
                byte* outRow = outBase + (long)y * rowBytes;
                if (!_outY.Valid[y])
                {
                    Buffer.MemoryCopy(inRow, outRow, FrameWidth * 4, FrameWidth * 4);
                    continue;
                }
                int top = _outY.I0[y], bottom = _outY.I1[y];
                float wy = _outY.W[y];
                if (top != lastTop || bottom != lastBottom || wy != lastW)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        Span<float> dst = blended.Slice(c * mw, mw);
                        TensorPrimitives.Multiply(s.Slice(c * plane + top * mw, mw), 1 - wy, dst);
                        if (wy != 0) TensorPrimitives.MultiplyAdd(s.Slice(c * plane + bottom * mw, mw), wy, dst, dst);
                    }
                    (lastTop, lastBottom, lastW) = (top, bottom, wy);
                }
                float* r = rowPtr, g = rowPtr + mw, b = rowPtr + 2 * mw;
                for (int x = 0; x < FrameWidth; x++)
                {
                    byte* o = outRow + x * 4;
                    byte* i = inRow + x * 4;
                    if (!valid[x]) { *(uint*)o = *(uint*)i; continue; }
                    int a = x0[x], e = x1[x];
                    float w1 = wx[x], w0 = 1 - w1;
                    o[ro] = (byte)(w0 * r[a] + w1 * r[e]);
                    o[go] = (byte)(w0 * g[a] + w1 * g[e]);
                    o[bo] = (byte)(w0 * b[a] + w1 * b[e]);
                    o[3] = i[3];
                }
            }
        }
    }

    private float[] _blendRow = [];

    private void CheckFrame(int length, int rowBytes)
    {
        if (rowBytes < FrameWidth * 4) throw new ArgumentException($"row bytes must be at least {FrameWidth * 4} for width {FrameWidth}, found {rowBytes}");
        long need = (long)rowBytes * (FrameHeight - 1) + FrameWidth * 4;
        if (length < need) throw new ArgumentException($"a {FrameWidth}x{FrameHeight} frame with {rowBytes} row bytes needs {need} bytes, found {length}");
    }
}
