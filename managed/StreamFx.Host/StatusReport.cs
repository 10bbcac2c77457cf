using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StreamFx.Host;

/// <summary>The STATUS message's JSON object (docs/protocol.md section 5); absent fields are left out.</summary>
public readonly record struct StatusReport(string State, string Provider, string? Model, double? Fps, double? LatencyMs, string? Error)
{
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("state", State);
            writer.WriteString("provider", Provider);
            if (Model is not null)
            {
                writer.WriteString("model", Model);
            }

            if (Fps is double fps)
            {
                writer.WriteNumber("fps", Math.Round(fps, 2));
            }

            if (LatencyMs is double latency)
            {
                writer.WriteNumber("latency_ms", Math.Round(latency, 3));
            }

            if (Error is not null)
            {
                writer.WriteString("error", Error);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
