using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Row kernels between 4-byte pixels and float channel planes. Channels are named by their byte position
/// in the pixel (c0 = byte 0, c1 = byte 1, c2 = byte 2, byte 3 = alpha), so callers handle RGBA/BGRA by
/// swapping plane pointers and the kernels carry no layout switch. Each kernel has an AVX2 loop (8 pixels),
/// a portable 128-bit loop (4 pixels) and a scalar tail, and all three compute the same float operations in
/// the same order, so results do not depend on which one ran.
/// </summary>
internal static unsafe class ChannelPlanes
{
    /// <summary>c_k[x] = (byte k of pixel x + add) * mul for x &lt; count.</summary>
    public static void Split(byte* pixels, int count, float* c0, float* c1, float* c2, float add, float mul)
    {
        int x = 0;
        if (Avx2.IsSupported)
        {
            Vector256<int> low = Vector256.Create(0xFF);
            Vector256<float> a = Vector256.Create(add), m = Vector256.Create(mul);
            for (; x <= count - 8; x += 8)
            {
                Vector256<int> p = Avx.LoadVector256((int*)(pixels + 4 * x));
                Avx.Store(c0 + x, Avx.Multiply(Avx.Add(Avx.ConvertToVector256Single(Avx2.And(p, low)), a), m));
                Avx.Store(c1 + x, Avx.Multiply(Avx.Add(Avx.ConvertToVector256Single(Avx2.And(Avx2.ShiftRightLogical(p, 8), low)), a), m));
                Avx.Store(c2 + x, Avx.Multiply(Avx.Add(Avx.ConvertToVector256Single(Avx2.And(Avx2.ShiftRightLogical(p, 16), low)), a), m));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<int> low = Vector128.Create(0xFF);
            Vector128<float> a = Vector128.Create(add), m = Vector128.Create(mul);
            for (; x <= count - 4; x += 4)
            {
                Vector128<int> p = Vector128.Load((int*)(pixels + 4 * x));
                ((Vector128.ConvertToSingle(p & low) + a) * m).Store(c0 + x);
                ((Vector128.ConvertToSingle((p >>> 8) & low) + a) * m).Store(c1 + x);
                ((Vector128.ConvertToSingle((p >>> 16) & low) + a) * m).Store(c2 + x);
            }
        }
        for (; x < count; x++)
        {
            uint p = Unsafe.ReadUnaligned<uint>(pixels + 4 * x);
            c0[x] = ((float)(int)(p & 0xFF) + add) * mul;
            c1[x] = ((float)(int)((p >> 8) & 0xFF) + add) * mul;
            c2[x] = ((float)(int)((p >> 16) & 0xFF) + add) * mul;
        }
    }

    /// <summary>
    /// Byte k of output pixel x = truncate(clamp((c_k[x] + add) * mul, 0, 255) + 0.5), i.e. rounded half up;
    /// NaN becomes 0. Byte 3 (alpha) comes from the same pixel of <paramref name="alphaSource"/>, which may be
    /// <paramref name="output"/> itself.
    /// </summary>
    public static void Merge(float* c0, float* c1, float* c2, int count, byte* alphaSource, byte* output, float add, float mul)
    {
        int x = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> a = Vector256.Create(add), m = Vector256.Create(mul);
            Vector256<float> zero = Vector256<float>.Zero, top = Vector256.Create(255f), half = Vector256.Create(0.5f);
            Vector256<int> alpha = Vector256.Create(unchecked((int)0xFF000000));
            for (; x <= count - 8; x += 8)
            {
                // maxps returns its second operand when either is NaN, so Max(v, 0) maps NaN to 0.
                Vector256<int> q0 = Avx.ConvertToVector256Int32WithTruncation(Avx.Add(Avx.Min(Avx.Max(Avx.Multiply(Avx.Add(Avx.LoadVector256(c0 + x), a), m), zero), top), half));
                Vector256<int> q1 = Avx.ConvertToVector256Int32WithTruncation(Avx.Add(Avx.Min(Avx.Max(Avx.Multiply(Avx.Add(Avx.LoadVector256(c1 + x), a), m), zero), top), half));
                Vector256<int> q2 = Avx.ConvertToVector256Int32WithTruncation(Avx.Add(Avx.Min(Avx.Max(Avx.Multiply(Avx.Add(Avx.LoadVector256(c2 + x), a), m), zero), top), half));
                Vector256<int> keep = Avx2.And(Avx.LoadVector256((int*)(alphaSource + 4 * x)), alpha);
                Vector256<int> p = Avx2.Or(Avx2.Or(q0, Avx2.ShiftLeftLogical(q1, 8)), Avx2.Or(Avx2.ShiftLeftLogical(q2, 16), keep));
                Avx.Store((int*)(output + 4 * x), p);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> a = Vector128.Create(add), m = Vector128.Create(mul);
            Vector128<float> zero = Vector128<float>.Zero, top = Vector128.Create(255f), half = Vector128.Create(0.5f);
            Vector128<int> alpha = Vector128.Create(unchecked((int)0xFF000000));
            for (; x <= count - 4; x += 4)
            {
                Vector128<int> q0 = Quantize(Vector128.Load(c0 + x), a, m, zero, top, half);
                Vector128<int> q1 = Quantize(Vector128.Load(c1 + x), a, m, zero, top, half);
                Vector128<int> q2 = Quantize(Vector128.Load(c2 + x), a, m, zero, top, half);
                Vector128<int> keep = Vector128.Load((int*)(alphaSource + 4 * x)) & alpha;
                (q0 | (q1 << 8) | (q2 << 16) | keep).Store((int*)(output + 4 * x));
            }
        }
        for (; x < count; x++)
        {
            uint keep = Unsafe.ReadUnaligned<uint>(alphaSource + 4 * x) & 0xFF000000u;
            uint p = (uint)Quantize(c0[x], add, mul) | ((uint)Quantize(c1[x], add, mul) << 8) | ((uint)Quantize(c2[x], add, mul) << 16) | keep;
            Unsafe.WriteUnaligned(output + 4 * x, p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Quantize(Vector128<float> v, Vector128<float> add, Vector128<float> mul, Vector128<float> zero, Vector128<float> top, Vector128<float> half)
    {
        Vector128<float> s = (v + add) * mul;
        // Compare-and-select rather than Max/Min so NaN (every comparison false) becomes 0 on every platform.
        s = Vector128.ConditionalSelect(Vector128.GreaterThan(s, zero), s, zero);
        s = Vector128.ConditionalSelect(Vector128.LessThan(s, top), s, top);
        return Vector128.ConvertToInt32Native(s + half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quantize(float v, float add, float mul)
    {
        float s = (v + add) * mul;
        s = s > 0f ? s : 0f;
        s = s < 255f ? s : 255f;
        return (int)(s + 0.5f);
    }

    /// <summary>dst[i] = (top[i] * w0 + bottom[i] * w1 + add) * mul for i &lt; count (one vertical bilinear step).</summary>
    public static void Blend(float* top, float* bottom, float w0, float w1, float add, float mul, float* dst, int count)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> v0 = Vector256.Create(w0), v1 = Vector256.Create(w1), a = Vector256.Create(add), m = Vector256.Create(mul);
            for (; i <= count - 8; i += 8)
                Avx.Store(dst + i, Avx.Multiply(Avx.Add(Avx.Add(Avx.Multiply(Avx.LoadVector256(top + i), v0), Avx.Multiply(Avx.LoadVector256(bottom + i), v1)), a), m));
        }
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> v0 = Vector128.Create(w0), v1 = Vector128.Create(w1), a = Vector128.Create(add), m = Vector128.Create(mul);
            for (; i <= count - 4; i += 4)
                ((Vector128.Load(top + i) * v0 + Vector128.Load(bottom + i) * v1 + a) * m).Store(dst + i);
        }
        for (; i < count; i++) dst[i] = (top[i] * w0 + bottom[i] * w1 + add) * mul;
    }

    /// <summary>dst[i] = clamp((src[i] + add) * mul, 0, 255) for i &lt; count; NaN becomes 0.</summary>
    public static void Clamp(float* src, float* dst, int count, float add, float mul)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> a = Vector256.Create(add), m = Vector256.Create(mul), zero = Vector256<float>.Zero, top = Vector256.Create(255f);
            for (; i <= count - 8; i += 8)
                Avx.Store(dst + i, Avx.Min(Avx.Max(Avx.Multiply(Avx.Add(Avx.LoadVector256(src + i), a), m), zero), top));
        }
        for (; i < count; i++)
        {
            float s = (src[i] + add) * mul;
            s = s > 0f ? s : 0f;
            dst[i] = s < 255f ? s : 255f;
        }
    }

    /// <summary>dst[i] = value for i &lt; count.</summary>
    public static void Fill(float* dst, int count, float value) => new Span<float>(dst, count).Fill(value);
}
