using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline.Device;
using StreamFx.Diffusion.Scheduling;
using StreamFx.Diffusion.Streaming;
using Xunit.Abstractions;

namespace StreamFx.Diffusion.Tests;

/// <summary>
/// The device pipeline's graphs, run on ONNX Runtime's CPU provider, against the CPU code they replace:
/// FrameResampler's identity path, SimilaritySkipFilter's cosine, and StreamDenoiser with ResidualCfg.
/// </summary>
public class DeviceGraphTests(ITestOutputHelper log)
{
    // Not a multiple of 8 or 4: ChannelPlanes' AVX, 128-bit and scalar loops all run on each row.
    private const int Resolution = 23;

    private static float[] ToHalfPrecision(ReadOnlySpan<float> values)
    {
        var half = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(values, half);
        var widened = new float[values.Length];
        TensorPrimitives.ConvertToSingle(half, widened);
        return widened;
    }

    private static float[] AsType(TensorElementType type, float[] values) => type == TensorElementType.Float16 ? ToHalfPrecision(values) : values;

    private static void Exact(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:R}, found {actual[i]:R}");
    }

    /// <summary>Both pixel layouts, both image ranges, float32 and float16 model images.</summary>
    public static TheoryData<PixelLayout, ImageRange, TensorElementType> FrameCases()
    {
        var cases = new TheoryData<PixelLayout, ImageRange, TensorElementType>();
        foreach (TensorElementType type in new[] { TensorElementType.Float, TensorElementType.Float16 })
            foreach (PixelLayout layout in Enum.GetValues<PixelLayout>())
                foreach (ImageRange range in Enum.GetValues<ImageRange>())
                    cases.Add(layout, range, type);
        return cases;
    }

    // ---- Pre ----

    [Theory]
    [MemberData(nameof(FrameCases))]
    public void PreEqualsToTensorAndCosineSimilarity(PixelLayout layout, ImageRange range, TensorElementType imageType)
    {
        const int r = Resolution;
        var frame = new byte[r * r * 4];
        new Random(r + (int)layout * 10 + (int)range * 100).NextBytes(frame);
        // Every byte value at least once, 0 and 255 included, in each channel.
        for (int i = 0; i < 256; i++)
            for (int c = 0; c < 4; c++)
                frame[4 * ((i * 7 + c) % (r * r)) + c] = (byte)i;
        var resampler = new FrameResampler(r, r, r, r, FitMode.Crop);
        Assert.True(resampler.IsIdentity);
        var expected = new float[3 * r * r];
        resampler.ToTensor(frame, 4 * r, layout, range, expected);
        // A previous image near this one (the case the filter is for), in the same range.
        var rng = new Random(7);
        float[] previous = expected.Select(v => v + (float)(rng.NextDouble() - 0.5) * 0.2f).ToArray();

        using var pre = new CpuGraph(FrameGraphs.Pre(r, layout, range, imageType));
        var outputs = pre.Run(GraphInput.UInt8(GraphNames.Frame, frame, 1, r, r, 4), GraphInput.Float(GraphNames.Previous, previous, 1, 3, r, r));

        Assert.Equal([1, 3, r, r], outputs[GraphNames.ImageF32].Shape);
        Assert.Equal([1, 3, r, r], outputs[GraphNames.Image].Shape);
        Assert.Equal(imageType, outputs[GraphNames.Image].Type);
        Assert.Equal([1L], outputs[GraphNames.Similarity].Shape);
        Exact(expected, outputs[GraphNames.ImageF32].Floats, "image_f32");
        // The CPU pipeline converts with TensorPrimitives.ConvertToHalf when the encoder takes float16.
        Exact(AsType(imageType, expected), outputs[GraphNames.Image].Floats, "image");

        float cosine = TensorPrimitives.CosineSimilarity(previous, expected);
        float similarity = outputs[GraphNames.Similarity].Floats[0];
        // Sums of 3*23*23 products in another order: a few float32 ulps apart, not more.
        Assert.True(Math.Abs(cosine - similarity) <= 1e-6f, $"similarity {similarity:R}, TensorPrimitives.CosineSimilarity {cosine:R}");
        Assert.True(cosine is > 0.9f and < 0.9999f, $"the test's previous image should be close but not equal, cosine {cosine}");
    }

    [Fact]
    public void PreSimilarityIsZeroWhenAnImageIsAllZero()
    {
        const int r = 8;
        // A black frame in the 0..1 range is all zero: the cosine is 0/0, which the CPU filter reads as 0.
        var black = new byte[r * r * 4];
        var previous = Enumerable.Range(0, 3 * r * r).Select(i => 0.1f + i % 5 * 0.1f).ToArray();
        Assert.True(float.IsNaN(TensorPrimitives.CosineSimilarity(previous, new float[3 * r * r])));
        using var pre = new CpuGraph(FrameGraphs.Pre(r, PixelLayout.Bgra, ImageRange.ZeroToOne, TensorElementType.Float));
        var outputs = pre.Run(GraphInput.UInt8(GraphNames.Frame, black, 1, r, r, 4), GraphInput.Float(GraphNames.Previous, previous, 1, 3, r, r));
        Assert.Equal(0f, outputs[GraphNames.Similarity].Floats[0]);

        // And an all-zero previous image (nothing processed yet) with a real frame.
        var grey = Enumerable.Repeat((byte)90, r * r * 4).ToArray();
        outputs = pre.Run(GraphInput.UInt8(GraphNames.Frame, grey, 1, r, r, 4), GraphInput.Float(GraphNames.Previous, new float[3 * r * r], 1, 3, r, r));
        Assert.Equal(0f, outputs[GraphNames.Similarity].Floats[0]);

        // The same frame against itself is 1 (within rounding): the zero above is not a constant.
        float[] image = outputs[GraphNames.ImageF32].Floats;
        outputs = pre.Run(GraphInput.UInt8(GraphNames.Frame, grey, 1, r, r, 4), GraphInput.Float(GraphNames.Previous, image, 1, 3, r, r));
        Assert.Equal(1f, outputs[GraphNames.Similarity].Floats[0], 6);
    }

    // ---- Post ----

    /// <summary>
    /// Decoder output values that exercise the rounding. float32: values whose byte-unit value (c + add) * mul
    /// is exactly k + 0.5, with the floats just below and above. float16 has almost no such ties (1 to 6 over all
    /// 65536 halves), so there every pair of adjacent half values between which the output byte changes is
    /// taken (found by trying all halves). Then below 0 and above 255 (clamped), NaN and the infinities, and
    /// random values. On half inputs round-half-to-even and truncate(s + 0.5) differ only at those few exact
    /// ties, so the float32 cases are the ones that tell the two rules apart.
    /// </summary>
    private static float[] PostValues(ImageRange range, TensorElementType type, int count, int seed)
    {
        var (add, mul) = range == ImageRange.ZeroToOne ? (0f, 255f) : (1f, 127.5f);
        var values = new List<float>();
        if (type == TensorElementType.Float16)
        {
            static float Byte(float s) => MathF.Floor((s > 0f ? (s < 255f ? s : 255f) : 0f) + 0.5f);
            float[] halves = Enumerable.Range(0, ushort.MaxValue + 1).Select(b => BitConverter.UInt16BitsToHalf((ushort)b))
                .Where(Half.IsFinite).Select(h => (float)h).Where(v => (v + add) * mul is > -3f and < 258f).Order().ToArray();
            for (int i = 0; i + 1 < halves.Length; i++)
                if (Byte((halves[i] + add) * mul) != Byte((halves[i + 1] + add) * mul)) values.AddRange([halves[i], halves[i + 1]]);
            Assert.True(values.Count == 2 * 255, $"expected a byte change between 255 pairs of adjacent halves, found {values.Count / 2}");
        }
        else
        {
            for (int k = -3; k <= 258; k++)
            {
                // Solve (c + add) * mul = k + 0.5, then look a few floats either side for a c that hits it exactly.
                float c = (k + 0.5f) / mul - add;
                for (int step = 0; step < 8; step++) c = MathF.BitDecrement(c);
                for (int step = 0; step < 16; step++, c = MathF.BitIncrement(c))
                    if ((c + add) * mul == k + 0.5f) break;
                values.AddRange([c, MathF.BitDecrement(c), MathF.BitIncrement(c), k / mul - add]);
            }
            int ties = values.Count(v => ((v + add) * mul) is float s && s - MathF.Floor(s) == 0.5f);
            Assert.True(ties >= 200, $"only {ties} values land exactly on a rounding tie");
        }
        values.AddRange([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, -5f, 5f, 1e9f, -1e9f]);
        var rng = new Random(seed);
        while (values.Count < count) values.Add((float)(rng.NextDouble() * 2.4 - 1.2 - (range == ImageRange.ZeroToOne ? -0.5 : 0)));
        Assert.True(values.Count <= count, $"{values.Count} special values do not fit {count}");
        // Shuffled so that each special value lands in AVX, 128-bit and scalar positions across planes.
        return values.OrderBy(_ => rng.Next()).ToArray();
    }

    [Theory]
    [MemberData(nameof(FrameCases))]
    public void PostEqualsFromTensorByteForByte(PixelLayout layout, ImageRange range, TensorElementType imageType)
    {
        const int r = 40; // 3*40*40 values hold the ~1050 boundary cases; 40 = 5 AVX blocks per row, 23 below covers the tails
        foreach (int side in new[] { r, Resolution })
        {
            float[] decoded = PostValues(range, imageType, 3 * side * side, side * 31 + (int)layout);
            // The CPU pipeline reads a float16 decoder's output widened to float32 (exact), so both paths see the same values.
            decoded = AsType(imageType, decoded);
            var frame = new byte[side * side * 4];
            new Random(side).NextBytes(frame);
            var expected = new byte[frame.Length];
            new FrameResampler(side, side, side, side, FitMode.Fit).FromTensor(decoded, range, frame, expected, 4 * side, layout);

            using var post = new CpuGraph(FrameGraphs.Post(side, layout, range, imageType));
            var outputs = post.Run(GraphInput.Floating(GraphNames.Image, imageType, decoded, 1, 3, side, side), GraphInput.UInt8(GraphNames.Frame, frame, 1, side, side, 4));
            GraphValue output = outputs[GraphNames.FrameOut];
            Assert.Equal([1, side, side, 4], output.Shape);
            for (int i = 0; i < expected.Length; i++)
            {
                if (expected[i] == output.Bytes[i]) continue;
                int pixel = i / 4, channel = i % 4;
                int plane = channel == 3 ? -1 : layout == PixelLayout.Bgra ? 2 - channel : channel;
                string source = plane < 0 ? "alpha" : $"decoded {decoded[plane * side * side + pixel]:R}";
                Assert.Fail($"{side}x{side} pixel {pixel} byte {channel} ({source}): FromTensor {expected[i]}, graph {output.Bytes[i]}");
            }
            // Alpha comes from the input frame (checked above byte for byte; here stated on its own).
            for (int p = 0; p < side * side; p++) Assert.Equal(frame[4 * p + 3], output.Bytes[4 * p + 3]);
        }
    }

    [Fact]
    public void BadShapesAndTypesAreRefusedWithWhatWasFound()
    {
        var good = new StepGraphShape(2, 4, 8, 3, 5, TensorElementType.Float, TensorElementType.Float16, TensorElementType.Float, CfgType.Self, true);
        Assert.NotEmpty(StreamStepGraphs.Step(good));
        Assert.Contains("found 5", Assert.Throws<ArgumentException>(() => StreamStepGraphs.Assemble(good with { Steps = 5 })).Message);
        Assert.Contains("found 2", Assert.Throws<ArgumentException>(() => StreamStepGraphs.Assemble(good with { EncoderChannels = 2 })).Message);
        Assert.Contains("none never guides", Assert.Throws<ArgumentException>(() => StreamStepGraphs.Step(good with { Cfg = CfgType.None })).Message);
        Assert.Contains("found Int64", Assert.Throws<ArgumentException>(() => StreamStepGraphs.Step(good with { UnetType = TensorElementType.Int64 })).Message);
        Assert.Contains("found Int32", Assert.Throws<ArgumentException>(() => FrameGraphs.Post(16, PixelLayout.Rgba, ImageRange.ZeroToOne, TensorElementType.Int32)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameGraphs.Pre(0, PixelLayout.Rgba, ImageRange.ZeroToOne, TensorElementType.Float));
        Assert.Contains("holds 12 values, found 6", Assert.Throws<ArgumentException>(() => StreamStepGraphs.ItemConstants(new StepConstants[2], new float[6])).Message);
    }

    // ---- Assemble + Step vs StreamDenoiser ----

    /// <summary>
    /// The UNet stand-in: each noise value a fixed function of the sample value, its item's timestep, whether
    /// the item is a negative one, and its place in the latent (so a misplaced item changes the result). With
    /// a float16 UNet the sample is rounded to half on the way in and the noise on the way out, as TensorBuffer does.
    /// </summary>
    private sealed class FakeUnet(int latentLength, bool float16) : INoisePredictor
    {
        public static float Noise(float sample, int timestep, bool negative, int position) =>
            0.7f * MathF.Sin(1.3f * sample + 0.002f * timestep + (negative ? 0.5f : 0f)) + 0.01f * (position % 11);

        public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<int> timesteps, int uncondLeading, Span<float> noise) =>
            Fill(sample, timesteps, uncondLeading, noise);

        public void Fill(ReadOnlySpan<float> sample, ReadOnlySpan<int> timesteps, int uncondLeading, Span<float> noise)
        {
            float[] input = float16 ? ToHalfPrecision(sample) : sample.ToArray();
            var output = new float[sample.Length];
            for (int i = 0; i < input.Length; i++)
            {
                int item = i / latentLength;
                output[i] = Noise(input[i], timesteps[item], item < uncondLeading, i % latentLength);
            }
            (float16 ? ToHalfPrecision(output) : output).CopyTo(noise);
        }
    }

    public static TheoryData<CfgType, bool, int, TensorElementType> StepCases()
    {
        var cases = new TheoryData<CfgType, bool, int, TensorElementType>();
        foreach (CfgType cfg in Enum.GetValues<CfgType>())
            foreach (bool guides in new[] { false, true })
            {
                if (guides && cfg == CfgType.None) continue; // none never guides
                for (int n = 1; n <= 3; n++)
                    foreach (TensorElementType type in new[] { TensorElementType.Float, TensorElementType.Float16 })
                        cases.Add(cfg, guides, n, type);
            }
        return cases;
    }

    [Theory]
    [MemberData(nameof(StepCases))]
    public void AssembleAndStepEqualStreamDenoiserOverSeveralCalls(CfgType cfg, bool guides, int n, TensorElementType modelType)
    {
        // C = 4 latent channels on a 3x5 latent (not square, so h and w cannot be swapped unnoticed); an
        // encoder with latent_parameters (8 channels, mean first) for even n.
        const int c = 4, h = 3, w = 5, L = c * h * w;
        int ce = n % 2 == 0 ? 2 * c : c;
        const float latentScale = 0.18215f, delta = 0.8f;
        float g = guides ? 1.4f : 1f;
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        StepConstants[] steps = new[] { 10, 25, 40 }.Take(n).Select(lcm.ConstantsForIndex).ToArray();
        var rng = new Random(n * 100 + (int)cfg * 10 + (guides ? 1 : 0));
        float Gaussian() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        float[] initNoise = Enumerable.Range(0, n * L).Select(_ => Gaussian()).ToArray();

        var shape = new StepGraphShape(n, c, ce, h, w, modelType, modelType, modelType, cfg, guides);
        Assert.Equal(ResidualCfg.UnetBatchSize(cfg, g, n), shape.UnetBatch);
        using var assemble = new CpuGraph(StreamStepGraphs.Assemble(shape));
        using var step = new CpuGraph(StreamStepGraphs.Step(shape));

        // CPU reference: the effect's path around the denoiser (encoder output read as float, scaled, denoised, unscaled).
        var unet = new FakeUnet(L, modelType == TensorElementType.Float16);
        var batch = new StreamBatch(steps, 1, L, initNoise);
        var denoiser = new StreamDenoiser(unet, batch, cfg, g, delta);
        Assert.Equal(guides, denoiser.Cfg.Guides);

        // Graph state and constants.
        float[] buffer = new float[(n - 1) * L];
        float[] stock = (float[])initNoise.Clone();
        float[] assembleConstants = new float[3], itemConstants = new float[n * StreamStepGraphs.ItemConstantCount];
        StreamStepGraphs.AssembleConstants(steps[0], latentScale, assembleConstants);
        StreamStepGraphs.ItemConstants(steps, itemConstants);
        int lead = shape.Lead;
        int[] unetTimesteps = [.. steps.Take(lead).Select(k => k.Timestep), .. steps.Select(k => k.Timestep)];
        int graphCalls = 0;
        double worst = 0;

        for (int call = 0; call < 6; call++)
        {
            // A moving input: each call's encoder output differs.
            float[] encoded = AsType(modelType, Enumerable.Range(0, ce * h * w).Select(i => 2f * MathF.Sin(0.37f * i + call)).ToArray());

            var latent = encoded.AsSpan(0, L).ToArray();
            TensorPrimitives.Multiply(latent, latentScale, latent);
            var x0 = new float[L];
            denoiser.Denoise(latent, x0);
            TensorPrimitives.Multiply(x0, 1f / latentScale, x0);
            float[] expectedLatent = AsType(modelType, x0);

            // The graph path runs the same warm-up: the first call repeats until the buffer is full.
            float[] latentOut = [];
            do
            {
                var inputs = new List<GraphInput>
                {
                    GraphInput.Floating(GraphNames.Encoded, modelType, encoded, 1, ce, h, w),
                    GraphInput.Float(GraphNames.Stock, stock, n, c, h, w),
                    GraphInput.Float(GraphNames.InitNoise, initNoise, n, c, h, w),
                    GraphInput.Float(GraphNames.AssembleConstants, assembleConstants, 3),
                };
                if (n > 1) inputs.Add(GraphInput.Float(GraphNames.Buffer, buffer, n - 1, c, h, w));
                var assembled = assemble.Run([.. inputs]);
                Assert.Equal([shape.UnetBatch, c, h, w], assembled[GraphNames.UnetSample].Shape);
                Assert.Equal(modelType, assembled[GraphNames.UnetSample].Type);

                var noise = new float[shape.UnetBatch * L];
                unet.Fill(assembled[GraphNames.UnetSample].Floats, unetTimesteps, lead, noise);
                var stepped = step.Run(
                    GraphInput.Float(GraphNames.X, assembled[GraphNames.X].Floats, n, c, h, w),
                    GraphInput.Floating(GraphNames.UnetNoise, modelType, noise, shape.UnetBatch, c, h, w),
                    GraphInput.Float(GraphNames.StockShifted, assembled[GraphNames.StockShifted].Floats, n, c, h, w),
                    GraphInput.Float(GraphNames.InitNoise, initNoise, n, c, h, w),
                    GraphInput.Float(GraphNames.ItemConstants, itemConstants, n, StreamStepGraphs.ItemConstantCount),
                    GraphInput.Float(GraphNames.Guidance, [g, delta], 2),
                    GraphInput.Float(GraphNames.OutputScale, [1f / latentScale], 1));
                Assert.Equal(modelType, stepped[GraphNames.LatentOut].Type);
                Assert.Equal([1, c, h, w], stepped[GraphNames.LatentOut].Shape);
                latentOut = stepped[GraphNames.LatentOut].Floats;
                stock = stepped[GraphNames.StockNext].Floats;
                if (n > 1) buffer = stepped[GraphNames.BufferNext].Floats;
                else Assert.DoesNotContain(GraphNames.BufferNext, step.OutputNames);
                graphCalls++;
            }
            while (graphCalls < n);

            worst = Math.Max(worst, Close(expectedLatent, latentOut, modelType == TensorElementType.Float16 ? HalfTolerance : FloatTolerance, $"call {call} latent_out"));
            worst = Math.Max(worst, Close(batch.Buffer.ToArray(), buffer, FloatTolerance, $"call {call} buffer_next"));
            worst = Math.Max(worst, Close(denoiser.Cfg.StockNoise.ToArray(), stock, FloatTolerance, $"call {call} stock_next"));
        }
        log.WriteLine($"largest difference / max(1, max |value|): {worst:E2}");
        Assert.Equal(n + 5, denoiser.PredictorCalls);
        Assert.Equal(n + 5, graphCalls);
    }

    /// <summary>
    /// Tolerance of the stream-step comparison, relative to max(1, the tensor's largest magnitude). Both paths do
    /// the same float32 operations (each one IEEE-rounded multiply or add) in the same order, and cast to float16
    /// at the same points with the same round-to-nearest-even, so on ONNX Runtime's CPU provider they agree bit
    /// for bit (observed: 0). The bounds leave room for a provider that contracts a multiply and an add into one
    /// fused operation (a few float32 ulps: 1e-6), which in a float16 output can flip one rounding (2^-10).
    /// Buffer and stock are float32 state, so they keep the float32 bound whatever the model type.
    /// </summary>
    private const double FloatTolerance = 1e-6, HalfTolerance = 1.0 / 1024;

    private static double Close(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1.0, expected.Length == 0 ? 0 : expected.Max(v => Math.Abs((double)v)));
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]) / scale;
            Assert.True(d <= tolerance, $"{what}[{i}]: StreamDenoiser {expected[i]:R}, graphs {actual[i]:R}");
            worst = Math.Max(worst, d);
        }
        return worst;
    }
}
