namespace StreamFx.ModelPack;

/// <summary>The "kind" values a manifest.json may hold (docs/models.md).</summary>
public static class ModelKinds
{
    public const string ImageEffect = "image-effect";
    public const string StreamDiffusion = "stream-diffusion";

    public const int FormatVersion = 1;
}
