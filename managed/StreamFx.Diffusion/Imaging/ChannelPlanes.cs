using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Row kernels between 4-byte pixels and float channel planes. Channels are named by their byte position
/// in the pixel (c0 = byte 0, c1 = byte 1, c2 = byte 2, byte 3 = alpha), so callers handle RGBA/BGRA by
/// swapping plane pointers and the kernels carry no layout switch. Each kernel has an AVX2 loop (8 pixels),
/// a 128-bit loop (4 pixels; SSE on x64, whose baseline is all a default NativeAOT build may use, portable
/// Vector128 elsewhere) and a scalar tail; all compute the same float operations in the same order, so
/// results do not depend on which one ran.
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
        if (Ssse3.IsSupported)
        {
            // The x64 baseline (what NativeAOT targets unless told otherwise): pshufb moves byte k of each
            // pixel to the low byte of its lane and zeroes the rest.
            Vector128<int> low = Vector128.Create(0xFF);
            Vector128<byte> at1 = Vector128.Create((byte)1, 0x80, 0x80, 0x80, 5, 0x80, 0x80, 0x80, 9, 0x80, 0x80, 0x80, 13, 0x80, 0x80, 0x80);
            Vector128<byte> at2 = Vector128.Create((byte)2, 0x80, 0x80, 0x80, 6, 0x80, 0x80, 0x80, 10, 0x80, 0x80, 0x80, 14, 0x80, 0x80, 0x80);
            Vector128<float> a = Vector128.Create(add), m = Vector128.Create(mul);
            for (; x <= count - 4; x += 4)
            {
                Vector128<int> p = Sse2.LoadVector128((int*)(pixels + 4 * x));
                Sse.Store(c0 + x, Sse.Multiply(Sse.Add(Sse2.ConvertToVector128Single(Sse2.And(p, low)), a), m));
                Sse.Store(c1 + x, Sse.Multiply(Sse.Add(Sse2.ConvertToVector128Single(Ssse3.Shuffle(p.AsByte(), at1).AsInt32()), a), m));
                Sse.Store(c2 + x, Sse.Multiply(Sse.Add(Sse2.ConvertToVector128Single(Ssse3.Shuffle(p.AsByte(), at2).AsInt32()), a), m));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
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
        // Vector form of the rule: u = (c + add) * mul + 0.5 (the same float value clamp(s) + 0.5 has when s
        // is in range), q = truncate(Min(255.5, u)), then unsigned saturation in the packs clamps below 0.
        // minps returns its second operand when either is NaN, so NaN reaches the conversion, becomes
        // int.MinValue and saturates to 0; +inf stops at 255.5 and -inf saturates to 0, as the scalar rule does.
        int x = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> a = Vector256.Create(add), m = Vector256.Create(mul), top = Vector256.Create(255.5f), half = Vector256.Create(0.5f);
            Vector256<byte> interleave = Vector256.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            for (; x <= count - 8; x += 8)
            {
                Vector256<int> q0 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Multiply(Avx.Add(Avx.LoadVector256(c0 + x), a), m), half)));
                Vector256<int> q1 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Multiply(Avx.Add(Avx.LoadVector256(c1 + x), a), m), half)));
                Vector256<int> q2 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Multiply(Avx.Add(Avx.LoadVector256(c2 + x), a), m), half)));
                Vector256<int> qa = Avx2.ShiftRightLogical(Avx.LoadVector256((int*)(alphaSource + 4 * x)), 24);
                // Packs work within each 128-bit lane, so lane 0 holds pixels 0-3 and lane 1 pixels 4-7 as
                // [c0 x4, c1 x4, c2 x4, alpha x4]; the shuffle interleaves each lane into pixels.
                Vector256<byte> planes = Avx2.PackUnsignedSaturate(Avx2.PackUnsignedSaturate(q0, q1).AsInt16(), Avx2.PackUnsignedSaturate(q2, qa).AsInt16());
                Avx.Store(output + 4 * x, Avx2.Shuffle(planes, interleave));
            }
        }
        if (Sse41.IsSupported)
        {
            Vector128<float> a = Vector128.Create(add), m = Vector128.Create(mul), top = Vector128.Create(255.5f), half = Vector128.Create(0.5f);
            Vector128<byte> interleave = Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            for (; x <= count - 4; x += 4)
            {
                Vector128<int> q0 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Multiply(Sse.Add(Sse.LoadVector128(c0 + x), a), m), half)));
                Vector128<int> q1 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Multiply(Sse.Add(Sse.LoadVector128(c1 + x), a), m), half)));
                Vector128<int> q2 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Multiply(Sse.Add(Sse.LoadVector128(c2 + x), a), m), half)));
                Vector128<int> qa = Sse2.ShiftRightLogical(Sse2.LoadVector128((int*)(alphaSource + 4 * x)), 24);
                Vector128<byte> planes = Sse2.PackUnsignedSaturate(Sse41.PackUnsignedSaturate(q0, q1).AsInt16(), Sse41.PackUnsignedSaturate(q2, qa).AsInt16());
                Sse2.Store(output + 4 * x, Ssse3.Shuffle(planes, interleave));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
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

    /// <summary>
    /// Like <see cref="Merge"/> for values already in 0..255 units blended between two rows:
    /// byte k of pixel x = truncate(clamp(t_k[x] * w0 + b_k[x] * w1, 0, 255) + 0.5), alpha from
    /// <paramref name="alphaSource"/>. Fusing the vertical blend saves writing and re-reading a row.
    /// </summary>
    public static void MergeBlend(float* t0, float* t1, float* t2, float* b0, float* b1, float* b2, float w0, float w1, int count, byte* alphaSource, byte* output)
    {
        int x = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> v0 = Vector256.Create(w0), v1 = Vector256.Create(w1), top = Vector256.Create(255.5f), half = Vector256.Create(0.5f);
            Vector256<byte> interleave = Vector256.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            for (; x <= count - 8; x += 8)
            {
                Vector256<int> q0 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Add(Avx.Multiply(Avx.LoadVector256(t0 + x), v0), Avx.Multiply(Avx.LoadVector256(b0 + x), v1)), half)));
                Vector256<int> q1 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Add(Avx.Multiply(Avx.LoadVector256(t1 + x), v0), Avx.Multiply(Avx.LoadVector256(b1 + x), v1)), half)));
                Vector256<int> q2 = Avx.ConvertToVector256Int32WithTruncation(Avx.Min(top, Avx.Add(Avx.Add(Avx.Multiply(Avx.LoadVector256(t2 + x), v0), Avx.Multiply(Avx.LoadVector256(b2 + x), v1)), half)));
                Vector256<int> qa = Avx2.ShiftRightLogical(Avx.LoadVector256((int*)(alphaSource + 4 * x)), 24);
                Vector256<byte> planes = Avx2.PackUnsignedSaturate(Avx2.PackUnsignedSaturate(q0, q1).AsInt16(), Avx2.PackUnsignedSaturate(q2, qa).AsInt16());
                Avx.Store(output + 4 * x, Avx2.Shuffle(planes, interleave));
            }
        }
        if (Sse41.IsSupported)
        {
            Vector128<float> v0 = Vector128.Create(w0), v1 = Vector128.Create(w1), top = Vector128.Create(255.5f), half = Vector128.Create(0.5f);
            Vector128<byte> interleave = Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            for (; x <= count - 4; x += 4)
            {
                Vector128<int> q0 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Add(Sse.Multiply(Sse.LoadVector128(t0 + x), v0), Sse.Multiply(Sse.LoadVector128(b0 + x), v1)), half)));
                Vector128<int> q1 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Add(Sse.Multiply(Sse.LoadVector128(t1 + x), v0), Sse.Multiply(Sse.LoadVector128(b1 + x), v1)), half)));
                Vector128<int> q2 = Sse2.ConvertToVector128Int32WithTruncation(Sse.Min(top, Sse.Add(Sse.Add(Sse.Multiply(Sse.LoadVector128(t2 + x), v0), Sse.Multiply(Sse.LoadVector128(b2 + x), v1)), half)));
                Vector128<int> qa = Sse2.ShiftRightLogical(Sse2.LoadVector128((int*)(alphaSource + 4 * x)), 24);
                Vector128<byte> planes = Sse2.PackUnsignedSaturate(Sse41.PackUnsignedSaturate(q0, q1).AsInt16(), Sse41.PackUnsignedSaturate(q2, qa).AsInt16());
                Sse2.Store(output + 4 * x, Ssse3.Shuffle(planes, interleave));
            }
        }
        for (; x < count; x++)
        {
            uint keep = Unsafe.ReadUnaligned<uint>(alphaSource + 4 * x) & 0xFF000000u;
            uint p = (uint)Quantize(t0[x] * w0 + b0[x] * w1, 0f, 1f) | ((uint)Quantize(t1[x] * w0 + b1[x] * w1, 0f, 1f) << 8) | ((uint)Quantize(t2[x] * w0 + b2[x] * w1, 0f, 1f) << 16) | keep;
            Unsafe.WriteUnaligned(output + 4 * x, p);
        }
    }

    /// <summary>
    /// One horizontal bilinear pass over three planes: d_k[x] = w0[x] * s_k[i0[x]] + w1[x] * s_k[i1[x]] for
    /// first &lt;= x &lt; end. Scalar on purpose: the reads are scattered, hardware gathers are slow on some
    /// CPUs, and sharing the index and weight loads across the three planes is what pays here.
    /// </summary>
    public static void Resample(float* s0, float* s1, float* s2, float* d0, float* d1, float* d2, int* i0, int* i1, float* w0, float* w1, int first, int end)
    {
        for (int x = first; x < end; x++)
        {
            int a = i0[x], e = i1[x];
            float u = w0[x], v = w1[x];
            d0[x] = u * s0[a] + v * s0[e];
            d1[x] = u * s1[a] + v * s1[e];
            d2[x] = u * s2[a] + v * s2[e];
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

    /// <summary>dst[i] = clamp((src[i] + add) * mul, 0, 255) for i &lt; count; NaN becomes 0 (maxps returns its
    /// second operand, 0, when either is NaN; the scalar tail compares).</summary>
    public static void Clamp(float* src, float* dst, int count, float add, float mul)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> a = Vector256.Create(add), m = Vector256.Create(mul), zero = Vector256<float>.Zero, top = Vector256.Create(255f);
            for (; i <= count - 8; i += 8)
                Avx.Store(dst + i, Avx.Min(Avx.Max(Avx.Multiply(Avx.Add(Avx.LoadVector256(src + i), a), m), zero), top));
        }
        if (Sse.IsSupported)
        {
            Vector128<float> a = Vector128.Create(add), m = Vector128.Create(mul), zero = Vector128<float>.Zero, top = Vector128.Create(255f);
            for (; i <= count - 4; i += 4)
                Sse.Store(dst + i, Sse.Min(Sse.Max(Sse.Multiply(Sse.Add(Sse.LoadVector128(src + i), a), m), zero), top));
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
