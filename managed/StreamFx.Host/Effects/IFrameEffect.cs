using StreamFx.Bridge;

namespace StreamFx.Host.Effects;

/// <summary>
/// Turns one input frame into one output frame of the same geometry and pixel format. Called on
/// the session's thread only; must not allocate per frame once warmed up for a resolution.
/// </summary>
public interface IFrameEffect : IDisposable
{
    /// <summary>Short name for logs and STATUS.</summary>
    string Name { get; }

    /// <summary>
    /// <paramref name="input"/> and <paramref name="output"/> are each <c>rowBytes * height</c>
    /// bytes of <paramref name="format"/> pixels; rows may have padding after <c>width * 4</c> bytes.
    /// </summary>
    void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format);
}
