using System.Text.Json;

namespace StreamFx.Host;

/// <summary>The CONFIGURE settings the host acts on; other keys belong to the shim and are ignored.</summary>
public sealed record HostSettings(string? ModelDir)
{
    public const string ModelDirKey = "model_dir";

    /// <summary>
    /// Parses the CONFIGURE JSON object (already checked to be one by the framer). A known key of
    /// the wrong type throws <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static HostSettings Parse(string json)
    {
        string? modelDir = null;
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string key = reader.GetString()!;
                reader.Read();
                if (key == ModelDirKey)
                {
                    modelDir = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Null => null,
                        _ => throw new InvalidDataException($"CONFIGURE \"{ModelDirKey}\": expected a string, found {reader.TokenType}"),
                    };
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"CONFIGURE: invalid JSON: {e.Message}");
        }

        return new HostSettings(string.IsNullOrWhiteSpace(modelDir) ? null : modelDir);
    }
}
