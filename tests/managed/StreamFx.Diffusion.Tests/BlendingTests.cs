using StreamFx.Diffusion.Blending;

namespace StreamFx.Diffusion.Tests;

public class BlendingTests
{
    [Fact]
    public void LinearEndpointsAndMidpoint()
    {
        float[] a = [1f, 2f, -4f], b = [3f, 0f, 4f], d = new float[3];
        VectorBlend.Lerp(a, b, 0f, d); Assert.Equal(a, d);
        VectorBlend.Lerp(a, b, 1f, d); Assert.Equal(b, d);
        VectorBlend.Lerp(a, b, 0.5f, d); Assert.Equal(new[] { 2f, 1f, 0f }, d);
    }

    [Fact]
    public void SlerpEndpointsAndMidpoints()
    {
        float[] a = [1f, 0f], b = [0f, 1f], d = new float[2];
        VectorBlend.Slerp(a, b, 0f, d); Assert.Equal(1f, d[0], 6); Assert.Equal(0f, d[1], 6);
        VectorBlend.Slerp(a, b, 1f, d); Assert.Equal(0f, d[0], 6); Assert.Equal(1f, d[1], 6);
        // Orthogonal unit vectors: the midpoint is at 45 degrees on the unit circle.
        VectorBlend.Slerp(a, b, 0.5f, d);
        Assert.Equal(Math.Sqrt(0.5), d[0], 5); Assert.Equal(Math.Sqrt(0.5), d[1], 5);
        // 60 degrees apart: a quarter of the way is at 15 degrees.
        float[] c = [(float)Math.Cos(Math.PI / 3), (float)Math.Sin(Math.PI / 3)];
        VectorBlend.Slerp(a, c, 0.25f, d);
        Assert.Equal(Math.Cos(Math.PI / 12), d[0], 5); Assert.Equal(Math.Sin(Math.PI / 12), d[1], 5);
        // Parallel vectors fall back to linear.
        VectorBlend.Slerp([1f, 1f], [2f, 2f], 0.5f, d);
        Assert.Equal(1.5f, d[0], 5);
    }

    [Fact]
    public void WeightedLinearBlendIsWeightedMean()
    {
        var items = new List<float[]> { new[] { 0f, 4f }, new[] { 4f, 0f }, new[] { 8f, 8f } };
        var d = new float[2];
        VectorBlend.BlendMany(BlendMode.Linear, items, [1f, 1f, 2f], d);
        // (0+4+16)/4 = 5, (4+0+16)/4 = 5
        Assert.Equal(5f, d[0], 5); Assert.Equal(5f, d[1], 5);
        VectorBlend.BlendMany(BlendMode.Linear, items, [0f, 1f, 0f], d);
        Assert.Equal(new[] { 4f, 0f }, d);
        Assert.Throws<ArgumentException>(() => VectorBlend.BlendMany(BlendMode.Linear, items, [0f, 0f, 0f], d));
    }

    [Fact]
    public void WeightedSlerpOfTwoMatchesPairSlerp()
    {
        var items = new List<float[]> { new[] { 1f, 0f }, new[] { 0f, 1f } };
        var d = new float[2];
        VectorBlend.BlendMany(BlendMode.Slerp, items, [1f, 1f], d);
        Assert.Equal(Math.Sqrt(0.5), d[0], 5); Assert.Equal(Math.Sqrt(0.5), d[1], 5);
        // weights 1:2 -> t = 2/3 -> angle 60 degrees
        VectorBlend.BlendMany(BlendMode.Slerp, items, [1f, 2f], d);
        Assert.Equal(0.5, d[0], 5); Assert.Equal(Math.Sqrt(3) / 2, d[1], 5);
    }

    [Fact]
    public void NoiseIsDeterministicAndStandardNormal()
    {
        var a = new float[100_000];
        var b = new float[100_000];
        GaussianNoise.Fill(42, a);
        GaussianNoise.Fill(42, b);
        Assert.Equal(a, b);
        GaussianNoise.Fill(43, b);
        Assert.NotEqual(a, b);
        double mean = a.Average(v => (double)v);
        double variance = a.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.98, 1.02);
    }

    [Fact]
    public void SeedBlendEndpointsAndMidpoint()
    {
        var n1 = new float[64]; var n2 = new float[64]; var d = new float[64];
        GaussianNoise.Fill(1, n1);
        GaussianNoise.Fill(2, n2);
        GaussianNoise.FillBlend(BlendMode.Linear, [(1, 1f), (2, 0f)], d);
        Assert.Equal(n1, d);
        GaussianNoise.FillBlend(BlendMode.Linear, [(1, 0f), (2, 1f)], d);
        Assert.Equal(n2, d);
        // Equal weights: (n1 + n2)/sqrt(2), variance-preserving.
        GaussianNoise.FillBlend(BlendMode.Linear, [(1, 0.5f), (2, 0.5f)], d);
        for (int i = 0; i < d.Length; i++) Assert.Equal((n1[i] + n2[i]) / Math.Sqrt(2), d[i], 5);
    }

    [Fact]
    public void StyleTransitionStepsMonotonicallyToTheTarget()
    {
        float[] from = [1f, 0f, 0f], to = [0f, 1f, 2f];
        var transition = new StyleTransition();
        transition.Start(from, to, 4, BlendMode.Linear);
        var d = new float[3];
        var distances = new List<double>();
        while (transition.Next(d))
            distances.Add(Math.Sqrt(d.Zip(to, (x, y) => (double)(x - y) * (x - y)).Sum()));
        Assert.Equal(4, distances.Count);
        double full = Math.Sqrt(1 + 1 + 4);
        // Frame i of 4 sits at t = i/4: distance (1 - i/4) * |from - to|.
        for (int i = 0; i < 4; i++) Assert.Equal(full * (1 - (i + 1) / 4.0), distances[i], 5);
        Assert.Equal(to, d);
        Assert.False(transition.Active);
        Assert.False(transition.Next(d));
    }
}
