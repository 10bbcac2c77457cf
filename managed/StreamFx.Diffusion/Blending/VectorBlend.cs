using System.Numerics.Tensors;

namespace StreamFx.Diffusion.Blending;

/// <summary>Linear and spherical interpolation over whole tensors (prompt embeddings, noise).</summary>
public static class VectorBlend
{
    /// <summary>dest = (1-t)*a + t*b.</summary>
    public static void Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> dest)
    {
        CheckLengths(a, b, dest);
        TensorPrimitives.Multiply(a, 1f - t, dest);
        TensorPrimitives.MultiplyAdd(b, t, dest, dest);
    }

    /// <summary>
    /// Spherical interpolation: dest = sin((1-t)θ)/sinθ * a + sin(tθ)/sinθ * b, θ the angle between a and b;
    /// falls back to linear when the vectors are (nearly) parallel.
    /// </summary>
    public static void Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> dest)
    {
        CheckLengths(a, b, dest);
        double na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        if (na == 0 || nb == 0)
        {
            Lerp(a, b, t, dest);
            return;
        }
        double cos = Math.Clamp(TensorPrimitives.Dot(a, b) / (na * nb), -1.0, 1.0);
        double theta = Math.Acos(cos);
        double sin = Math.Sin(theta);
        if (sin < 1e-6)
        {
            Lerp(a, b, t, dest);
            return;
        }
        float wa = (float)(Math.Sin((1 - t) * theta) / sin);
        float wb = (float)(Math.Sin(t * theta) / sin);
        TensorPrimitives.Multiply(a, wa, dest);
        TensorPrimitives.MultiplyAdd(b, wb, dest, dest);
    }

    public static void Blend(BlendMode mode, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> dest)
    {
        if (mode == BlendMode.Slerp) Slerp(a, b, t, dest);
        else Lerp(a, b, t, dest);
    }

    /// <summary>
    /// Weighted blend of several tensors, folded pairwise: acc = blend(acc, x_i, w_i / (W + w_i)).
    /// For linear mode this is the weighted mean. Weights must be non-negative with a positive sum.
    /// </summary>
    public static void BlendMany(BlendMode mode, IReadOnlyList<float[]> items, ReadOnlySpan<float> weights, Span<float> dest)
    {
        if (items.Count == 0) throw new ArgumentException("nothing to blend");
        if (weights.Length != items.Count) throw new ArgumentException($"{items.Count} items but {weights.Length} weights");
        double total = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!(weights[i] >= 0) || float.IsInfinity(weights[i])) throw new ArgumentException($"weight {i} must be a finite number >= 0, found {weights[i]}");
            total += weights[i];
        }
        if (total <= 0) throw new ArgumentException("blend weights must not all be 0");
        int first = 0;
        while (weights[first] == 0) first++;
        items[first].CopyTo(dest);
        double acc = weights[first];
        for (int i = first + 1; i < items.Count; i++)
        {
            if (weights[i] == 0) continue;
            float t = (float)(weights[i] / (acc + weights[i]));
            Blend(mode, dest, items[i], t, dest);
            acc += weights[i];
        }
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dest)
    {
        if (a.Length != b.Length || dest.Length != a.Length)
            throw new ArgumentException($"blend needs equal lengths: {a.Length}, {b.Length}, destination {dest.Length}");
    }
}
