using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host;

/// <summary>
/// The STATUS message's JSON object (docs/protocol.md section 5); absent fields are left out.
/// Beyond the protocol's fields: providers_tried, stages (ms per pipeline stage of the last frame),
/// skipped (frames the similarity filter skipped), note (how slow a slow model is), while loading
/// elapsed_s and progress, and model_info (what the loader derived from a stream-diffusion folder:
/// layout, element types, scale, pad id). Text
/// fields are cut with a visible "…[truncated N chars]" marker so the whole message stays under the
/// 65536-byte payload limit even when every character needs a 6-byte JSON escape.
/// </summary>
public readonly record struct StatusReport(string State, string Provider, string? Model, double? Fps, double? LatencyMs, string? Error)
{
    public const int MaxErrorLength = 2000;
    public const int MaxTextLength = 500;

    public string? ProvidersTried { get; init; }
    public StageTimings? Stages { get; init; }
    public long? Skipped { get; init; }
    public double? ElapsedSeconds { get; init; }
    public string? Progress { get; init; }
    public string? ModelInfo { get; init; }

    /// <summary>How slow the model is, with advice past a bound (e.g. "4.2 s per frame on cpu: ..."); null when fast enough.</summary>
    public string? Note { get; init; }

    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("state", State);
            writer.WriteString("provider", Provider);
            WriteText(writer, "model", Model, MaxTextLength);
            if (Fps is double fps)
            {
                writer.WriteNumber("fps", Math.Round(fps, 2));
            }

            if (LatencyMs is double latency)
            {
                writer.WriteNumber("latency_ms", Math.Round(latency, 3));
            }

            WriteText(writer, "error", Error, MaxErrorLength);
            WriteText(writer, "providers_tried", ProvidersTried, MaxErrorLength);
            if (Stages is StageTimings stages)
            {
                writer.WriteStartObject("stages");
                writer.WriteNumber("pre", Math.Round(stages.PreMs, 3));
                writer.WriteNumber("encode", Math.Round(stages.EncodeMs, 3));
                writer.WriteNumber("unet", Math.Round(stages.UnetMs, 3));
                writer.WriteNumber("decode", Math.Round(stages.DecodeMs, 3));
                writer.WriteNumber("post", Math.Round(stages.PostMs, 3));
                writer.WriteEndObject();
            }

            if (Skipped is long skipped)
            {
                writer.WriteNumber("skipped", skipped);
            }

            if (ElapsedSeconds is double elapsed)
            {
                writer.WriteNumber("elapsed_s", Math.Round(elapsed, 1));
            }

            WriteText(writer, "progress", Progress, MaxTextLength);
            WriteText(writer, "note", Note, MaxTextLength);
            WriteText(writer, "model_info", ModelInfo, MaxErrorLength);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteText(Utf8JsonWriter writer, string name, string? text, int maxLength)
    {
        if (text is not null)
        {
            writer.WriteString(name, Truncate(text, maxLength));
        }
    }

    /// <summary>
    /// Cuts <paramref name="text"/> to at most <paramref name="maxLength"/> chars, the last ones being
    /// "…[truncated N chars]" (N = chars removed), never inside a surrogate pair. The marker makes a cut
    /// visible in the panel and the log, so a long provider error is never mistaken for the whole one.
    /// </summary>
    public static string Truncate(string text, int maxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }

        // The marker's length depends on N's digits, and N on the marker's length: two rounds settle it.
        int keep = maxLength - Marker(text.Length).Length;
        keep = maxLength - Marker(text.Length - Math.Max(0, keep)).Length;
        if (keep < 2)
        {
            // A limit shorter than the marker (none in STATUS): a plain cut.
            return text[..maxLength];
        }

        if (char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), Marker(text.Length - keep));
    }

    private static string Marker(int removed) => $"…[truncated {removed} chars]";
}
