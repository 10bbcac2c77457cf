using StreamFx.ModelPack.Diffusion;

namespace StreamFx.ModelPack.Tests;

/// <summary>
/// One-step img2img written out in the tests from the published formulas (streamdiffusion.md):
/// x_t = A x0 + B eps, the UNet's noise estimate, F = (x_t - B eps_hat)/A, LCM boundary condition
/// x0_hat = c_out F + c_skip x_t. Used to judge the pack's behaviour end to end.
/// </summary>
public sealed class MiniImg2Img : IDisposable
{
    private readonly OnnxSessionRunner _text;
    private readonly OnnxSessionRunner _unet;
    private readonly OnnxSessionRunner _encoder;
    private readonly OnnxSessionRunner _decoder;
    private readonly NoiseSchedule _schedule = new();

    public MiniImg2Img(string folder)
    {
        Manifest = StreamDiffusionManifest.Load(folder);
        Tokenizer = new TestTokenizer(Path.Combine(folder, "tokenizer"), Manifest.PadTokenId);
        _text = new OnnxSessionRunner(Path.Combine(folder, Manifest.TextEncoder));
        _unet = new OnnxSessionRunner(Path.Combine(folder, Manifest.UNet));
        _encoder = new OnnxSessionRunner(Path.Combine(folder, Manifest.VaeEncoder));
        _decoder = new OnnxSessionRunner(Path.Combine(folder, Manifest.VaeDecoder));
    }

    public StreamDiffusionManifest Manifest { get; }

    public TestTokenizer Tokenizer { get; }

    public (float[] Hidden, float[] Pooled) EncodePrompt(string prompt)
    {
        var outputs = _text.Run(("input_ids", Tokenizer.Encode(prompt), [1, 77]));
        return (outputs["last_hidden_state"].Data, outputs["pooler_output"].Data);
    }

    /// <summary>Frame in [0,1] -> latent (scaled by latent_scale).</summary>
    public float[] Encode(float[] frame, int height, int width)
    {
        float[] input = Manifest.ImageRange == "[-1,1]" ? TestImages.Map(frame, 2f, -1f) : frame;
        float[] latent = _encoder.Run(("sample", input, [1, 3, height, width]))["latent_sample"].Data;
        return TestImages.Map(latent, (float)Manifest.LatentScale, 0f);
    }

    /// <summary>Latent -> frame in [0,1] (not clamped).</summary>
    public float[] Decode(float[] latent, int height, int width)
    {
        float[] scaled = TestImages.Map(latent, 1f / (float)Manifest.LatentScale, 0f);
        float[] image = _decoder.Run(("latent_sample", scaled, [1, 4, height / 8, width / 8]))["sample"].Data;
        return Manifest.ImageRange == "[-1,1]" ? TestImages.Map(image, 0.5f, 0.5f) : image;
    }

    public float[] PredictNoise(float[] sample, int timestep, float[] hidden, int height, int width) =>
        _unet.Run(
            ("sample", sample, [1, 4, height / 8, width / 8]),
            ("timestep", [timestep], [1]),
            ("encoder_hidden_states", hidden, [1, 77, Manifest.TextHiddenSize]))["out_sample"].Data;

    /// <summary>Clean-latent estimate F = (x_t - B eps_hat) / A from one UNet call.</summary>
    public float[] EstimateClean(float[] noisy, int timestep, float[] hidden, int height, int width)
    {
        float[] eps = PredictNoise(noisy, timestep, hidden, height, width);
        float a = (float)_schedule.A(timestep);
        float b = (float)_schedule.B(timestep);
        var f = new float[noisy.Length];
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = (noisy[i] - (b * eps[i])) / a;
        }

        return f;
    }

    public float[] Run(float[] frame, string prompt, int timestep, ulong seed, int height, int width)
    {
        float[] x0 = Encode(frame, height, width);
        float[] noise = new SeededRandom(seed).Gaussian(x0.Length, 1.0);
        float a = (float)_schedule.A(timestep);
        float b = (float)_schedule.B(timestep);
        var xt = new float[x0.Length];
        for (int i = 0; i < xt.Length; i++)
        {
            xt[i] = (a * x0[i]) + (b * noise[i]);
        }

        float[] f = EstimateClean(xt, timestep, EncodePrompt(prompt).Hidden, height, width);
        double s = 10.0 * timestep;
        float cSkip = (float)(0.25 / ((s * s) + 0.25));
        float cOut = (float)(s / Math.Sqrt((s * s) + 0.25));
        var x0Hat = new float[f.Length];
        for (int i = 0; i < f.Length; i++)
        {
            x0Hat[i] = (cOut * f[i]) + (cSkip * xt[i]);
        }

        return Decode(x0Hat, height, width);
    }

    public void Dispose()
    {
        _text.Dispose();
        _unet.Dispose();
        _encoder.Dispose();
        _decoder.Dispose();
    }
}
