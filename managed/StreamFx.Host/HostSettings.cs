using System.Text.Json;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host;

/// <summary>
/// Whether the filter's source is shown (CONFIGURE <c>active</c>, absent: shown) and how long a hidden
/// one keeps its model (<see cref="EffectSettings.UnloadAfterHiddenSeconds"/>, the contract's
/// <c>unload_after_hidden_s</c>; 0 = for ever).
/// </summary>
public readonly record struct HostVisibility(bool Active, int UnloadAfterHiddenSeconds)
{
    public static HostVisibility Default => new(true, new EffectSettings().UnloadAfterHiddenSeconds);
}

/// <summary>
/// Reads CONFIGURE (docs/protocol.md section 5): the filter's settings as <see cref="EffectSettings"/>,
/// and <c>active</c> as <see cref="HostVisibility"/>. Keys the host does not act on (effective_prompt,
/// style_name, ...) are ignored.
/// </summary>
public static class HostSettings
{
    /// <summary>
    /// Parses the CONFIGURE JSON object over <paramref name="baseline"/> (absent keys keep their
    /// values) and makes model_dir and vae_dir full paths without a trailing separator (null: not set).
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

        return settings with { ModelDir = ModelFolder(settings.ModelDir), VaeDir = ModelFolder(settings.VaeDir, "vae_dir") };
    }

    /// <summary>
    /// Reads <c>active</c> (true/false) over <paramref name="baseline"/>, with the hidden-unload time of
    /// the already parsed <paramref name="settings"/>. Throws <see cref="InvalidDataException"/> naming
    /// the key, the expected and the found value. The JSON itself was already checked by <see cref="Parse"/>.
    /// </summary>
    public static HostVisibility ParseVisibility(string json, HostVisibility baseline, EffectSettings settings)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        HostVisibility visibility = baseline with { UnloadAfterHiddenSeconds = settings.UnloadAfterHiddenSeconds };
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

        return visibility;
    }

    /// <summary>The full path of a model folder setting, or null when none is set.</summary>
    public static string? ModelFolder(string? modelDir, string key = "model_dir")
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
            throw new InvalidDataException($"CONFIGURE setting \"{key}\": expected a folder path, found \"{modelDir}\" ({e.Message})", e);
        }
    }
}
