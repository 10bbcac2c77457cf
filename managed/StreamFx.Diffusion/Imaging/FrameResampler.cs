using System.Runtime.CompilerServices;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Moves a frame between the shared-memory pixels (RGBA/BGRA bytes, any size) and the model's planar
/// RGB float tensor (square, in the autoencoder's range), both ways, with the same crop/fit/stretch
/// geometry. Sampling tables and scratch rows are built once per size; nothing is allocated per frame.
/// When the frame already has the model's size (the shim scales on the GPU first) every mapping is the
/// identity and both directions are one SIMD pass per row (<see cref="ChannelPlanes"/>); otherwise
/// resampling is separable bilinear, horizontal pass first, with the range conversion fused into the
/// vertical pass.
/// </summary>
public sealed class FrameResampler
{
    private readonly AxisMap _inX, _inY, _outX, _outY;
    // ToTensor: two horizontally resampled source rows (3 x ModelWidth, byte units; zero outside the valid run).
    private readonly float[][] _inRows;
    private readonly float[] _inSplit;
    private readonly int[] _inRowIndex = [-1, -1];
    // FromTensor: the tensor clamped to 0..255 and two model rows resampled to frame width.
    private readonly float[] _clamped;
    private readonly float[][] _outRows;
    private readonly int[] _outRowIndex = [-1, -1];

    public FrameResampler(int frameWidth, int frameHeight, int modelWidth, int modelHeight, FitMode fit)
    {
        if (frameWidth < 1 || frameHeight < 1) throw new ArgumentOutOfRangeException(nameof(frameWidth), $"frame size must be positive, found {frameWidth}x{frameHeight}");
        if (modelWidth < 1 || modelHeight < 1) throw new ArgumentOutOfRangeException(nameof(modelWidth), $"model size must be positive, found {modelWidth}x{modelHeight}");
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
        // Same size gives k = 1 and zero offsets whatever the fit; checked on the maps rather than assumed.
        IsIdentity = _inX.IsIdentity && _inY.IsIdentity && _outX.IsIdentity && _outY.IsIdentity;
        if (IsIdentity)
        {
            _inRows = [[], []];
            _inSplit = _clamped = [];
            _outRows = [[], []];
        }
        else
        {
            _inRows = [new float[3 * modelWidth], new float[3 * modelWidth]];
            _inSplit = new float[3 * frameWidth];
            _clamped = new float[3 * modelWidth * modelHeight];
            _outRows = [new float[3 * frameWidth], new float[3 * frameWidth]];
        }
    }

    public int FrameWidth { get; }
    public int FrameHeight { get; }
    public int ModelWidth { get; }
    public int ModelHeight { get; }
    public FitMode Fit { get; }

    /// <summary>Frame and model have the same size, so no resampling happens (the fast path).</summary>
    public bool IsIdentity { get; }

    // Pre: v -> (v + add) * mul. The subtraction of 127.5 is exact in float, so [-1,1] values near 0 keep
    // their relative precision (v * 2/255 - 1 would cancel).
    private static (float Add, float Mul) ToRange(ImageRange range) => range == ImageRange.ZeroToOne ? (0f, 1f / 255f) : (-127.5f, 1f / 127.5f);

    // Post: t -> (t + add) * mul, then clamped to 0..255 and rounded half up.
    private static (float Add, float Mul) FromRange(ImageRange range) => range == ImageRange.ZeroToOne ? (0f, 255f) : (1f, 127.5f);

    /// <summary>Frame bytes to a planar [3, H, W] tensor in <paramref name="range"/>; fit bars are black.</summary>
    public unsafe void ToTensor(ReadOnlySpan<byte> pixels, int rowBytes, PixelLayout layout, ImageRange range, Span<float> planar)
    {
        CheckFrame(pixels.Length, rowBytes);
        int plane = ModelWidth * ModelHeight, mw = ModelWidth;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        var (add, mul) = ToRange(range);
        fixed (byte* src = pixels)
        fixed (float* dst = planar)
        {
            // Planes by byte position in the pixel: byte 0 is R in RGBA, B in BGRA.
            float* d0 = layout == PixelLayout.Bgra ? dst + 2 * plane : dst, d1 = dst + plane, d2 = layout == PixelLayout.Bgra ? dst : dst + 2 * plane;
            if (IsIdentity)
            {
                for (int y = 0; y < ModelHeight; y++)
                    ChannelPlanes.Split(src + (long)y * rowBytes, mw, d0 + y * mw, d1 + y * mw, d2 + y * mw, add, mul);
                return;
            }
            // Separable: each needed source row is resampled horizontally once (kept for the next model row),
            // then two such rows are blended vertically and converted to the range in one SIMD pass.
            _inRowIndex[0] = _inRowIndex[1] = -1;
            float black = (0f + add) * mul;
            for (int y = 0; y < ModelHeight; y++)
            {
                int row = y * mw;
                if (!_inY.Valid[y])
                {
                    ChannelPlanes.Fill(d0 + row, mw, black);
                    ChannelPlanes.Fill(d1 + row, mw, black);
                    ChannelPlanes.Fill(d2 + row, mw, black);
                    continue;
                }
                fixed (float* top = InRow(src, rowBytes, _inY.I0[y], -1))
                fixed (float* bottom = InRow(src, rowBytes, _inY.I1[y], _inY.I0[y]))
                {
                    float w1 = _inY.W[y], w0 = _inY.W0[y];
                    ChannelPlanes.Blend(top, bottom, w0, w1, add, mul, d0 + row, mw);
                    ChannelPlanes.Blend(top + mw, bottom + mw, w0, w1, add, mul, d1 + row, mw);
                    ChannelPlanes.Blend(top + 2 * mw, bottom + 2 * mw, w0, w1, add, mul, d2 + row, mw);
                }
            }
        }
    }

    // Horizontally resampled source row (3 planes of ModelWidth by byte position, byte units). Two rows are
    // kept so consecutive model rows sharing a source row do not resample it again; <paramref name="keep"/>
    // is never evicted. Columns outside the valid run stay zero from allocation. The source columns the
    // run reads are first split into float planes (SIMD), then resampled.
    private unsafe float[] InRow(byte* src, int rowBytes, int sourceRow, int keep)
    {
        if (_inRowIndex[0] == sourceRow) return _inRows[0];
        if (_inRowIndex[1] == sourceRow) return _inRows[1];
        int victim = _inRowIndex[0] == keep ? 1 : 0;
        _inRowIndex[victim] = sourceRow;
        int mw = ModelWidth, fw = FrameWidth;
        if (_inX.First == _inX.End) return _inRows[victim];
        int lo = _inX.I0[_inX.First], hi = _inX.I1[_inX.End - 1];
        fixed (float* dst = _inRows[victim])
        fixed (float* split = _inSplit)
        fixed (int* x0 = _inX.I0, x1 = _inX.I1)
        fixed (float* wx0 = _inX.W0, wx1 = _inX.W)
        {
            ChannelPlanes.Split(src + (long)sourceRow * rowBytes + 4 * lo, hi - lo + 1, split + lo, split + fw + lo, split + 2 * fw + lo, 0f, 1f);
            ChannelPlanes.Resample(split, split + fw, split + 2 * fw, dst, dst + mw, dst + 2 * mw, x0, x1, wx0, wx1, _inX.First, _inX.End);
        }
        return _inRows[victim];
    }

    /// <summary>
    /// A planar [3, H, W] tensor in <paramref name="range"/> back to frame bytes (clamped, rounded); alpha
    /// and the pixels outside a crop come from <paramref name="input"/>.
    /// </summary>
    public unsafe void FromTensor(ReadOnlySpan<float> planar, ImageRange range, ReadOnlySpan<byte> input, Span<byte> output, int rowBytes, PixelLayout layout)
    {
        CheckFrame(input.Length, rowBytes);
        CheckFrame(output.Length, rowBytes);
        int plane = ModelWidth * ModelHeight, mw = ModelWidth, fw = FrameWidth;
        if (planar.Length != 3 * plane) throw new ArgumentException($"tensor must hold {3 * plane} values, found {planar.Length}");
        var (add, mul) = FromRange(range);
        fixed (float* tensor = planar)
        fixed (byte* inBase = input, outBase = output)
        {
            float* t0 = layout == PixelLayout.Bgra ? tensor + 2 * plane : tensor, t1 = tensor + plane, t2 = layout == PixelLayout.Bgra ? tensor : tensor + 2 * plane;
            if (IsIdentity)
            {
                for (int y = 0; y < FrameHeight; y++)
                    ChannelPlanes.Merge(t0 + y * mw, t1 + y * mw, t2 + y * mw, fw, inBase + (long)y * rowBytes, outBase + (long)y * rowBytes, add, mul);
                return;
            }
            // Clamp first (as a pixel of the model's image), then resample: horizontal pass per model row
            // (cached), vertical blend per frame row, then round and interleave with the input's alpha.
            fixed (float* clamped = _clamped)
            {
                ChannelPlanes.Clamp(t0, clamped, plane, add, mul);
                ChannelPlanes.Clamp(t1, clamped + plane, plane, add, mul);
                ChannelPlanes.Clamp(t2, clamped + 2 * plane, plane, add, mul);
                _outRowIndex[0] = _outRowIndex[1] = -1;
                int first = _outX.First, end = _outX.End, count = end - first;
                for (int y = 0; y < FrameHeight; y++)
                {
                    byte* inRow = inBase + (long)y * rowBytes;
                    byte* outRow = outBase + (long)y * rowBytes;
                    if (!_outY.Valid[y] || count == 0)
                    {
                        Buffer.MemoryCopy(inRow, outRow, fw * 4, fw * 4);
                        continue;
                    }
                    // Pixels left and right of the model's image pass through.
                    if (first > 0) Buffer.MemoryCopy(inRow, outRow, first * 4, first * 4);
                    if (end < fw) Buffer.MemoryCopy(inRow + 4 * end, outRow + 4 * end, (fw - end) * 4, (fw - end) * 4);
                    float w1 = _outY.W[y], w0 = _outY.W0[y];
                    fixed (float* top = OutRow(clamped, _outY.I0[y], -1))
                    fixed (float* bottom = OutRow(clamped, _outY.I1[y], _outY.I0[y]))
                    {
                        byte* i = inRow + 4 * first, o = outRow + 4 * first;
                        if (w1 == 0) ChannelPlanes.Merge(top + first, top + fw + first, top + 2 * fw + first, count, i, o, 0f, 1f);
                        else ChannelPlanes.MergeBlend(top + first, top + fw + first, top + 2 * fw + first, bottom + first, bottom + fw + first, bottom + 2 * fw + first, w0, w1, count, i, o);
                    }
                }
            }
        }
    }

    // Model row of the clamped tensor resampled to frame width (3 planes by byte position), over the valid
    // run of columns only; cached like InRow.
    private unsafe float[] OutRow(float* clamped, int modelRow, int keep)
    {
        if (_outRowIndex[0] == modelRow) return _outRows[0];
        if (_outRowIndex[1] == modelRow) return _outRows[1];
        int victim = _outRowIndex[0] == keep ? 1 : 0;
        _outRowIndex[victim] = modelRow;
        int mw = ModelWidth, fw = FrameWidth, plane = ModelWidth * ModelHeight;
        fixed (float* dst = _outRows[victim])
        fixed (int* x0 = _outX.I0, x1 = _outX.I1)
        fixed (float* wx0 = _outX.W0, wx1 = _outX.W)
        {
            float* s = clamped + modelRow * mw;
            ChannelPlanes.Resample(s, s + plane, s + 2 * plane, dst, dst + fw, dst + 2 * fw, x0, x1, wx0, wx1, _outX.First, _outX.End);
        }
        return _outRows[victim];
    }

    private void CheckFrame(int length, int rowBytes)
    {
        if (rowBytes < FrameWidth * 4) throw new ArgumentException($"row bytes must be at least {FrameWidth * 4} for width {FrameWidth}, found {rowBytes}");
        long need = (long)rowBytes * (FrameHeight - 1) + FrameWidth * 4;
        if (length < need) throw new ArgumentException($"a {FrameWidth}x{FrameHeight} frame with {rowBytes} row bytes needs {need} bytes, found {length}");
    }
}
