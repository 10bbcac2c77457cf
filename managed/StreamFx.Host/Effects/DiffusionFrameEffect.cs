using System.Text;
using StreamFx.Bridge;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Host.Effects;

/// <summary>
/// A "stream-diffusion" model folder run by <see cref="StreamDiffusionEffect"/>: maps the region's
/// pixel format to the pipeline's layout and its status to STATUS fields.
/// </summary>
public sealed class DiffusionFrameEffect : IFrameEffect
{
    /// <summary>A provider's failure reason is cut to this many characters in STATUS (ORT messages can be long).</summary>
    public const int MaxReasonLength = 240;

    public DiffusionFrameEffect(StreamDiffusionEffect pipeline)
    {
        Pipeline = pipeline;
        ProvidersTried = DescribeFailures(pipeline.Status.ProviderAttempts);
        ModelInfo = string.Join("; ", pipeline.Manifest.Facts);
    }

    /// <summary>The derived model facts joined by "; " (made once: STATUS reads it every second).</summary>
    public string ModelInfo { get; }

    /// <summary>The pipeline itself (tests read its counters).</summary>
    public StreamDiffusionEffect Pipeline { get; }

    /// <summary>Seconds the warm-up frame took during the load (null: none ran).</summary>
    public double? WarmUpSeconds { get; set; }

    /// <summary>"tensorrt: reason; cuda: reason" for the providers that could not be used, or null.</summary>
    public string? ProvidersTried { get; }

    public string Name => Pipeline.Manifest.Name;

    public EffectReport Report
    {
        get
        {
            EffectStatus status = Pipeline.Status;
            return new EffectReport(status.ProviderName, ProvidersTried, status.FramesProcessed > 0 ? status.LastTimings : null, status.FramesSkipped) { WarmUpSeconds = WarmUpSeconds, ModelInfo = ModelInfo };
        }
    }

    public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format) =>
        // A skipped frame (false) has the previous output written again: nothing more to do here.
        Pipeline.Process(input, output, width, height, rowBytes, ToLayout(format));

    public ConfigureOutcome Configure(EffectSettings settings) => Pipeline.Configure(settings);

    public static PixelLayout ToLayout(PixelFormat format) => format switch
    {
        PixelFormat.Rgba8 => PixelLayout.Rgba,
        PixelFormat.Bgra8 => PixelLayout.Bgra,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "expected RGBA8 or BGRA8"),
    };

    public static string? DescribeFailures(IReadOnlyList<ProviderAttempt> attempts)
    {
        StringBuilder? text = null;
        foreach (ProviderAttempt attempt in attempts)
        {
            if (attempt.Succeeded)
            {
                continue;
            }

            text = text is null ? new StringBuilder() : text.Append("; ");
            text.Append(ExecutionProviderNames.Name(attempt.Provider)).Append(": ").Append(Truncate(LoaderCause(attempt.Reason), MaxReasonLength));
        }

        return text?.ToString();
    }

    /// <summary>
    /// ONNX Runtime's provider-load errors start with a long source location and end with the loader's
    /// cause ("... with error: libcublas.so.13: cannot open shared object file ..."): keep the cause, which
    /// is what a streamer needs to see, and the whole text for anything else.
    /// </summary>
    public static string LoaderCause(string reason)
    {
        const string marker = "with error: ";
        int at = reason.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 && at + marker.Length < reason.Length ? reason[(at + marker.Length)..] : reason;
    }

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxLength"/> chars with a visible marker (<see cref="StatusReport.Truncate"/>).</summary>
    public static string Truncate(string text, int maxLength) => StatusReport.Truncate(text, maxLength);

    public void Dispose() => Pipeline.Dispose();
}
