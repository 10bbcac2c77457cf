namespace StreamFx.Diffusion.Guidance;

/// <summary>
/// The guidance-scale embedding an LCM-distilled UNet takes as timestep_cond, computed as diffusers'
/// LatentConsistencyModelPipeline does: w = guidance_scale - 1, scaled by 1000, then
/// [sin(w f_0..f_{d/2-1}), cos(w f_0..f_{d/2-1})] with f_k = exp(-k ln(10000) / (d/2 - 1)), zero-padded when d is odd.
/// </summary>
public static class GuidanceEmbedding
{
    public static void Fill(float guidanceScale, Span<float> embedding)
    {
        int dim = embedding.Length;
        if (dim == 0) return;
        int half = dim / 2;
        double w = (guidanceScale - 1.0) * 1000.0;
        double step = half > 1 ? Math.Log(10000.0) / (half - 1) : 0;
        for (int k = 0; k < half; k++)
        {
            // diffusers computes in float32; float32 frequencies keep the embedding bit-close to it.
            float frequency = (float)Math.Exp(-k * step);
            float angle = (float)w * frequency;
            embedding[k] = MathF.Sin(angle);
            embedding[half + k] = MathF.Cos(angle);
        }
        if (dim % 2 == 1) embedding[dim - 1] = 0f;
    }
}
