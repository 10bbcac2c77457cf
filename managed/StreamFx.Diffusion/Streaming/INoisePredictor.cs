namespace StreamFx.Diffusion.Streaming;

/// <summary>The UNet as the denoiser sees it (an ONNX session in the pipeline, a formula in tests).</summary>
public interface INoisePredictor
{
    /// <summary>
    /// Predicts the noise for <paramref name="timesteps"/>.Length items laid out back to back in
    /// <paramref name="sample"/>. The first <paramref name="uncondLeading"/> items are conditioned on the
    /// negative prompt, the rest on the prompt.
    /// </summary>
    void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<int> timesteps, int uncondLeading, Span<float> noise);
}
