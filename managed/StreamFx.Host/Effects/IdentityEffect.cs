using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>Passes frames through unchanged: used before a model is configured, and when one fails, so the stream never stops.</summary>
public sealed class IdentityEffect : IFrameEffect
{
    public string Name => "identity";

    public EffectReport Report => EffectReport.Cpu;

    public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format) =>
        input[..(rowBytes * height)].CopyTo(output);

    public ConfigureOutcome Configure(EffectSettings settings) => ConfigureOutcome.Applied;

    public void Dispose()
    {
    }
}
