using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host;

/// <summary>
/// Reads CONFIGURE (docs/protocol.md section 5): the filter's settings as <see cref="EffectSettings"/>.
/// Keys the host does not act on (effective_prompt, style_name, active, ...) are ignored.
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
