namespace StreamFx.ModelPack.Tests;

/// <summary>Test frames and image metrics, computed here in plain C# (no model code involved).</summary>
public static class TestImages
{
    /// <summary>A smooth RGB frame in [0,1], NCHW [1,3,h,w]: low-frequency waves and gradients, like a soft-focus camera frame.</summary>
    public static float[] SmoothFrame(int height, int width, double phase = 0)
    {
        var data = new float[3 * height * width];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double u = (double)x / width;
                double v = (double)y / height;
                double r = 0.5 + (0.35 * Math.Sin((2 * Math.PI * ((1.3 * u) + (0.4 * v))) + phase));
                double g = 0.45 + (0.3 * Math.Cos(2 * Math.PI * ((0.8 * v) - (0.5 * u)))) + (0.1 * u);
                double b = 0.5 + (0.25 * Math.Sin(2 * Math.PI * ((u * u) + v))) - (0.1 * v);
                data[(0 * height * width) + (y * width) + x] = (float)r;
                data[(1 * height * width) + (y * width) + x] = (float)g;
                data[(2 * height * width) + (y * width) + x] = (float)b;
            }
        }

        return data;
    }

    /// <summary>PSNR in dB of two images in [0,1] (values clamped to [0,1] first, as a display would).</summary>
    public static double Psnr(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        Assert.Equal(reference.Length, test.Length);
        double sum = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = Math.Clamp(reference[i], 0, 1) - Math.Clamp(test[i], 0, 1);
            sum += d * d;
        }

        double mse = sum / reference.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / mse);
    }

    public static double MeanAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / a.Length;
    }

    public static float[] Map(ReadOnlySpan<float> values, float scale, float offset)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (values[i] * scale) + offset;
        }

        return result;
    }
}
