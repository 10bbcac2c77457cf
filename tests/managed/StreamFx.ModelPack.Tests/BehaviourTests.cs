using StreamFx.ModelPack.Diffusion;
using Xunit.Abstractions;

namespace StreamFx.ModelPack.Tests;

/// <summary>The pack does something useful: invertible autoencoder, schedule-aware and prompt-sensitive UNet.</summary>
[Collection(PackCollection.Name)]
public sealed class BehaviourTests(PackFixture packs, ITestOutputHelper output)
{
    [Theory]
    [InlineData("default", 512)]
    [InlineData("sd15-fp16", 256)]
    [InlineData("turbo-fp16-float-t", 192)]
    [InlineData("sd15-cost", 128)]
    public void Autoencoder_round_trip_keeps_a_smooth_frame_above_30_dB(string variant, int size)
    {
        using var pipe = new MiniImg2Img(packs.Folder(variant));
        float[] frame = TestImages.SmoothFrame(size, size);
        float[] latent = pipe.Encode(frame, size, size);
        Assert.Equal(4 * (size / 8) * (size / 8), latent.Length);
        float[] back = pipe.Decode(latent, size, size);
        double psnr = TestImages.Psnr(frame, back);
        output.WriteLine($"{variant} {size}x{size}: round-trip PSNR {psnr:0.0} dB");
        Assert.True(psnr >= 30, $"{variant}: PSNR {psnr:0.0} dB");

        // The latent is a real compression, not a pass-through: a different frame gives a different latent.
        float[] other = pipe.Encode(TestImages.SmoothFrame(size, size, phase: 2.0), size, size);
        Assert.True(TestImages.MeanAbsDifference(latent, other) > 0.05);
    }

    [Fact]
    public void Autoencoder_loses_fine_detail_so_the_psnr_bar_is_not_trivially_met()
    {
        // A 2-pixel checkerboard cannot pass through 4 numbers per 8x8 block: the PSNR check can fail.
        using var pipe = new MiniImg2Img(packs.Folder("default"));
        const int size = 64;
        var frame = new float[3 * size * size];
        for (int i = 0; i < frame.Length; i++)
        {
            int x = i % size;
            int y = i / size % size;
            frame[i] = ((x / 2) + (y / 2)) % 2 == 0 ? 0.9f : 0.1f;
        }

        double psnr = TestImages.Psnr(frame, pipe.Decode(pipe.Encode(frame, size, size), size, size));
        output.WriteLine($"checkerboard round-trip PSNR {psnr:0.0} dB");
        Assert.True(psnr < 15, $"PSNR {psnr:0.0} dB");
    }

    [Fact]
    public void Same_prompt_seed_and_frame_give_identical_output()
    {
        using var pipe = new MiniImg2Img(packs.Folder("default"));
        float[] frame = TestImages.SmoothFrame(128, 128);
        float[] first = pipe.Run(frame, "a photo of a cat", 359, seed: 5, 128, 128);
        float[] second = pipe.Run(frame, "a photo of a cat", 359, seed: 5, 128, 128);
        Assert.Equal(first, second);

        float[] otherSeed = pipe.Run(frame, "a photo of a cat", 359, seed: 6, 128, 128);
        Assert.NotEqual(first, otherSeed);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("sd15-fp16")]
    public void Different_prompts_give_visibly_different_outputs(string variant)
    {
        // t=499 is one step at strength 0.5 (t_index 25), the pipeline's default.
        using var pipe = new MiniImg2Img(packs.Folder(variant));
        const int size = 128;
        float[] frame = TestImages.SmoothFrame(size, size);
        float[] cat = pipe.Run(frame, "a photo of a cat", 499, seed: 5, size, size);
        float[] dog = pipe.Run(frame, "a photo of a dog", 499, seed: 5, size, size);
        float[] painting = pipe.Run(frame, "oil painting of a city at night", 499, seed: 5, size, size);

        // Mean absolute difference in [0,1] pixel units: 0.02 is about 5 grey levels of 255.
        double catDog = TestImages.MeanAbsDifference(cat, dog);
        double catPainting = TestImages.MeanAbsDifference(cat, painting);
        output.WriteLine($"{variant}: mean |cat - dog| {catDog:0.000}, |cat - painting| {catPainting:0.000}, |frame - cat| {TestImages.MeanAbsDifference(frame, cat):0.000}, corr {Correlation(frame, cat):0.00}");
        Assert.True(catDog > 0.02, $"cat vs dog differ by {catDog:0.0000}");
        Assert.True(catPainting > 0.02, $"cat vs painting differ by {catPainting:0.0000}");

        // The output is a transform of the input frame, not noise: it stays correlated with it.
        Assert.True(Correlation(frame, cat) > 0.7, $"correlation with the input {Correlation(frame, cat):0.00}");
        Assert.True(TestImages.MeanAbsDifference(frame, cat) > 0.02, "the prompt must change the frame");

        // Strength matters: a lower-noise step (t=259, strength 0.3) changes the frame less, and the prompt
        // still shows (about 4 levels of 255).
        float[] catLow = pipe.Run(frame, "a photo of a cat", 259, seed: 5, size, size);
        float[] paintingLow = pipe.Run(frame, "oil painting of a city at night", 259, seed: 5, size, size);
        double lowChange = TestImages.MeanAbsDifference(frame, catLow);
        double lowPrompt = TestImages.MeanAbsDifference(catLow, paintingLow);
        output.WriteLine($"{variant} t=259: |frame - cat| {lowChange:0.000}, |cat - painting| {lowPrompt:0.000}");
        Assert.True(lowChange < TestImages.MeanAbsDifference(frame, cat), $"t=259 change {lowChange:0.000}");
        Assert.True(lowPrompt > 0.012, $"t=259 cat vs painting differ by {lowPrompt:0.0000}");
    }

    [Fact]
    public void UNet_knows_the_schedule_its_clean_estimate_keeps_the_scale_at_every_timestep()
    {
        // x_t = A(t) x0 with no noise: a schedule-aware model divides by its own A(t) and returns an estimate
        // with the scale of x0 at every t (smoothed and restyled more at higher t, by design); one that ignored
        // the timestep would shrink it by A(t)/A(99), down to 0.42 at t=599.
        using var pipe = new MiniImg2Img(packs.Folder("default"));
        const int size = 256;
        float[] x0 = pipe.Encode(TestImages.SmoothFrame(size, size), size, size);
        float[] hidden = pipe.EncodePrompt("a photo of a cat").Hidden;
        var schedule = new NoiseSchedule();
        double spread = StandardDeviation(x0);
        foreach (int t in new[] { 99, 259, 359, 599 })
        {
            float[] xt0 = TestImages.Map(x0, (float)schedule.A(t), 0f);
            float[] right = pipe.EstimateClean(xt0, t, hidden, size, size);
            double scale = StandardDeviation(right) / spread;
            output.WriteLine($"t={t}: estimate spread / x0 spread {scale:0.00}, correlation {Correlation(x0, right):0.000}");
            Assert.InRange(scale, 0.75, 1.3);
            Assert.True(Correlation(x0, right) > 0.9, $"t={t}: correlation {Correlation(x0, right):0.000}");
        }

        // Told the wrong timestep, the model divides by the wrong A(t) and the scale is off by about A(599)/A(99).
        float[] wrong = pipe.EstimateClean(TestImages.Map(x0, (float)schedule.A(599), 0f), 99, hidden, size, size);
        double wrongScale = StandardDeviation(wrong) / spread;
        Assert.True(wrongScale < 0.6, $"wrong-timestep scale {wrongScale:0.00}");

        // Noise is removed, not copied: with real noise at t=359 and t=499 the estimate is much closer to the
        // noise-free estimate at the same t than the naive x_t / A(t) is.
        foreach (int tn in new[] { 359, 499 })
        {
            float an = (float)schedule.A(tn);
            float bn = (float)schedule.B(tn);
            float[] clean = pipe.EstimateClean(TestImages.Map(x0, an, 0f), tn, hidden, size, size);
            float[] noise = new SeededRandom(3).Gaussian(x0.Length, 1.0);
            float[] xt = x0.Select((v, i) => (an * v) + (bn * noise[i])).ToArray();
            float[] estimate = pipe.EstimateClean(xt, tn, hidden, size, size);
            double naive = RootMeanSquareDifference(clean, xt.Select(v => v / an).ToArray());
            double model = RootMeanSquareDifference(clean, estimate);
            output.WriteLine($"t={tn}: noisy estimate error {model:0.000}, naive x_t/A error {naive:0.000}");
            Assert.True(model < 0.3 * naive, $"t={tn}: denoised error {model:0.000} vs naive {naive:0.000}");
        }
    }

    [Theory]
    [InlineData("default")]
    [InlineData("sd15-fp16")]
    public void Text_encoder_maps_equal_prompts_equally_and_different_prompts_differently(string variant)
    {
        using var pipe = new MiniImg2Img(packs.Folder(variant));
        (float[] catHidden, float[] catPooled) = pipe.EncodePrompt("a photo of a cat");
        (float[] again, float[] againPooled) = pipe.EncodePrompt("a photo of a cat");
        (float[] dogHidden, float[] dogPooled) = pipe.EncodePrompt("a photo of a dog");
        Assert.Equal(catHidden, again);
        Assert.Equal(catPooled, againPooled);

        // BOS a photo of a cat EOS: "cat"/"dog" sit at index 5, EOS at 6.
        int h = pipe.Manifest.TextHiddenSize;
        float[] ids = pipe.Tokenizer.Encode("a photo of a cat");
        int eos = Array.IndexOf(ids, 49407f);
        Assert.Equal(6, eos);
        Assert.Equal(catHidden.AsSpan(0, 5 * h).ToArray(), dogHidden.AsSpan(0, 5 * h).ToArray());
        Assert.True(TestImages.MeanAbsDifference(catHidden.AsSpan(5 * h, h), dogHidden.AsSpan(5 * h, h)) > 0.3);
        Assert.True(TestImages.MeanAbsDifference(catPooled, dogPooled) > 0.05);

        // pooler_output is last_hidden_state at the first EOS position.
        Assert.Equal(catHidden.AsSpan(eos * h, h).ToArray(), catPooled);
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average();
        double mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    private static double StandardDeviation(float[] a)
    {
        double mean = a.Average();
        return Math.Sqrt(a.Average(v => (v - mean) * (v - mean)));
    }

    private static double RootMeanSquareDifference(float[] a, float[] b) =>
        Math.Sqrt(a.Zip(b, (x, y) => ((double)x - y) * (x - y)).Average());
}
