namespace StreamFx.Diffusion.Blending;

public enum BlendMode
{
    Linear,
    Slerp,
}
