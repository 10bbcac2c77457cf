using System.Text.Json;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host;

/// <summary>
/// Whether the filter's source is shown (CONFIGURE <c>active</c>) and how long a hidden one keeps its
/// model (<c>unload_after_hidden_s</c>; 0 = for ever). Absent keys: shown, 60 s.
/// </summary>
public readonly record struct HostVisibility(bool Active, int UnloadAfterHiddenSeconds)
{
    public const int DefaultUnloadAfterHiddenSeconds = 60;

    /// <summary>Longest accepted unload_after_hidden_s: one day.</summary>
    public const int MaxUnloadAfterHiddenSeconds = 86_400;

    public static HostVisibility Default => new(true, DefaultUnloadAfterHiddenSeconds);
}

/// <summary>
/// Reads CONFIGURE (docs/protocol.md section 5): the filter's settings as <see cref="EffectSettings"/>,
/// and <c>active</c> / <c>unload_after_hidden_s</c> as <see cref="HostVisibility"/>. Keys the host does
/// not act on (effective_prompt, style_name, ...) are ignored.
/// </summary>
public static class HostSettings
{
    /// <summary>
    /// Parses the CONFIGURE JSON object over <paramref name="baseline"/> (absent keys keep their
    /// values) and makes model_dir a full path without a trailing separator (null: no model).
    /// Throws <see cref="InvalidDataException"/> naming the key, the expected and the found value.
    /// </summary>
    public static EffectSettings Parse(string json, EffectSettings baseline)
    {
        EffectSettings settings;
        try
        {
            settings = EffectSettings.FromJson(json, baseline);
        }
        catch (SettingsException e)
        {
            throw new InvalidDataException("CONFIGURE " + e.Message, e);
        }

        return settings with { ModelDir = ModelFolder(settings.ModelDir) };
    }

    /// <summary>
    /// Reads <c>active</c> (true/false) and <c>unload_after_hidden_s</c> (integer seconds, 0 = never)
    /// over <paramref name="baseline"/>. Throws <see cref="InvalidDataException"/> naming the key, the
    /// expected and the found value. The JSON itself was already checked by <see cref="Parse"/>.
    /// </summary>
    public static HostVisibility ParseVisibility(string json, HostVisibility baseline)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        HostVisibility visibility = baseline;
        if (document.RootElement.TryGetProperty("active", out JsonElement active))
        {
            visibility = visibility with
            {
                Active = active.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new InvalidDataException($"CONFIGURE setting \"active\": expected true or false, found {active.GetRawText()}"),
                },
            };
        }

        if (document.RootElement.TryGetProperty("unload_after_hidden_s", out JsonElement unload))
        {
            if (unload.ValueKind != JsonValueKind.Number || !unload.TryGetInt32(out int seconds) || seconds < 0 || seconds > HostVisibility.MaxUnloadAfterHiddenSeconds)
            {
                throw new InvalidDataException($"CONFIGURE setting \"unload_after_hidden_s\": expected an integer in 0..{HostVisibility.MaxUnloadAfterHiddenSeconds} (0 = never), found {unload.GetRawText()}");
            }

            visibility = visibility with { UnloadAfterHiddenSeconds = seconds };
        }

        return visibility;
    }

    /// <summary>The full path of a model folder setting, or null when none is set.</summary>
    public static string? ModelFolder(string? modelDir)
    {
        if (string.IsNullOrWhiteSpace(modelDir))
        {
            return null;
        }

        try
        {
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidDataException($"CONFIGURE setting \"model_dir\": expected a folder path, found \"{modelDir}\" ({e.Message})", e);
        }
    }
}
