using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host;

/// <summary>
/// The STATUS message's JSON object (docs/protocol.md section 5); absent fields are left out.
/// Beyond the protocol's fields: providers_tried, stages (ms per pipeline stage of the last frame),
/// skipped (frames the similarity filter skipped), while loading elapsed_s and progress, and model_info
/// (what the loader derived from a stream-diffusion folder: layout, element types, scale, pad id). Text
/// fields are cut so the message stays far below the 65536-byte payload limit.
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
            WriteText(writer, "model_info", ModelInfo, MaxErrorLength);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteText(Utf8JsonWriter writer, string name, string? text, int maxLength)
    {
        if (text is not null)
        {
            writer.WriteString(name, Effects.DiffusionFrameEffect.Truncate(text, maxLength));
        }
    }
}
