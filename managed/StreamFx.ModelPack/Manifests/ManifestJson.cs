using System.Text;
using System.Text.Json;

namespace StreamFx.ModelPack.Manifests;

/// <summary>
/// Writes manifest.json files with Utf8JsonWriter (no reflection, NativeAOT-safe), indented and
/// with a trailing newline, so the same pack gives the same bytes.
/// </summary>
public static class ManifestJson
{
    public const string FileName = "manifest.json";

    public static void Write(string folder, Action<Utf8JsonWriter> writeProperties)
    {
        Directory.CreateDirectory(folder);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        File.WriteAllBytes(Path.Combine(folder, FileName), buffer.ToArray());
    }

    public static string ReadText(string folder) => File.ReadAllText(Path.Combine(folder, FileName), Encoding.UTF8);
}
